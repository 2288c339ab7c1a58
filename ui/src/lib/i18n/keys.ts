import type en from './en';
import type { Message } from './catalogue';

export type MessageKey = keyof typeof en;
/** Every key of the English catalogue, no more, no less. */
export type Translation = { [K in MessageKey]: Message };
