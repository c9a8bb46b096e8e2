import type { en } from './en';

export type MessageKey = keyof typeof en;
export type Params = Readonly<Record<string, string | number>>;
