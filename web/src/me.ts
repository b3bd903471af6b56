// Who is signed in, for the components deep in a page that show a button only to those who may use it.
import { createContext, useContext } from 'react';
import type { Me } from './api.ts';

export const MeContext = createContext<Me | null>(null);

/** The signed-in user (null outside the signed-in console). */
export function useMe(): Me | null {
  return useContext(MeContext);
}
