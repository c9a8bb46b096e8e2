import { createContext, useContext } from 'react';
import type { RendererApi } from './types';

export const ApiContext = createContext<RendererApi | null>(null);

export function useApi(): RendererApi {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside ApiContext');
  return api;
}
