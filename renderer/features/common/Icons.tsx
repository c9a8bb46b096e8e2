// Inline SVG icons (nothing is loaded from the network). All decorative: aria-hidden.
import type { ReactNode } from 'react';

const base = { width: 16, height: 16, viewBox: '0 0 16 16', 'aria-hidden': true, focusable: false } as const;

export const IconPlus = (): ReactNode => <svg {...base}><path d="M8 2v12M2 8h12" stroke="currentColor" strokeWidth="2" /></svg>;
export const IconBack = (): ReactNode => <svg {...base}><path d="M10 2L4 8l6 6" stroke="currentColor" strokeWidth="2" fill="none" /></svg>;
export const IconClip = (): ReactNode => <svg {...base}><path d="M11 4.5L5.5 10a1.5 1.5 0 0 0 2 2L13 6.5a3 3 0 0 0-4-4L3.5 8a4.5 4.5 0 0 0 6 6L14 9.5" stroke="currentColor" strokeWidth="1.5" fill="none" /></svg>;
export const IconSend = (): ReactNode => <svg {...base}><path d="M1 8l14-6-5 13-2-6z" fill="currentColor" /></svg>;
export const IconMore = (): ReactNode => <svg {...base}><circle cx="3" cy="8" r="1.5" fill="currentColor" /><circle cx="8" cy="8" r="1.5" fill="currentColor" /><circle cx="13" cy="8" r="1.5" fill="currentColor" /></svg>;
export const IconClock = (): ReactNode => <svg {...base}><circle cx="8" cy="8" r="6" stroke="currentColor" strokeWidth="1.5" fill="none" /><path d="M8 4v4l3 2" stroke="currentColor" strokeWidth="1.5" fill="none" /></svg>;
export const IconCheck = (): ReactNode => <svg {...base}><path d="M2 8l4 4 8-8" stroke="currentColor" strokeWidth="2" fill="none" /></svg>;
export const IconWarn = (): ReactNode => <svg {...base}><path d="M8 1l7 14H1z" fill="currentColor" /><path d="M8 6v4M8 12v1" stroke="Canvas" strokeWidth="1.5" /></svg>;
export const IconPeople = (): ReactNode => <svg {...base}><circle cx="5.5" cy="5" r="2.5" fill="currentColor" /><circle cx="11" cy="6" r="2" fill="currentColor" /><path d="M1 14c0-3 2-5 4.5-5S10 11 10 14zM10.5 14c0-2-.5-3.5-1.5-4.5 2.5-1 5 .5 5 4.5z" fill="currentColor" /></svg>;
export const IconSpinner = (): ReactNode => <svg {...base} className="spin"><path d="M8 1a7 7 0 1 1-7 7" stroke="currentColor" strokeWidth="2" fill="none" /></svg>;
