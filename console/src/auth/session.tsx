// The session: an API key kept in sessionStorage (gone when the tab closes, never in a URL), and
// who that key is (project and role), which decides what the console shows.
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import type { ReactNode } from 'react';
import { configureClient, getJson } from '../api/client';

const STORAGE_KEY = 'autodl.apiKey';

export type Role = 'admin' | 'member' | 'viewer';

export interface Identity {
  project: string;
  role: Role;
  keyId?: string;
  keyName?: string | null;
}

interface Session {
  key: string | null;
  identity: Identity | null;
  login(key: string): Promise<void>;
  logout(): void;
  /** True when the key may change things (member or admin). */
  canWrite: boolean;
  isAdmin: boolean;
}

const SessionContext = createContext<Session | null>(null);

/** The key of this tab's session, if signed in. */
export function storedKey(): string | null {
  return sessionStorage.getItem(STORAGE_KEY);
}

// Requests may start before the provider first renders (a route loader prefetching a page's data
// while its code downloads): they read the key from here. The provider adds the sign-out on 401.
configureClient(storedKey, () => undefined);

export async function whoAmI(key: string): Promise<Identity> {
  const res = await fetch('/v1/whoami', { headers: { authorization: `Bearer ${key}` } });
  if (!res.ok)
    throw new Error(res.status === 401 ? 'This key is not valid.' : `HTTP ${res.status}`);
  return (await res.json()) as Identity;
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [key, setKey] = useState<string | null>(storedKey);
  const [identity, setIdentity] = useState<Identity | null>(null);

  const logout = useCallback(() => {
    sessionStorage.removeItem(STORAGE_KEY);
    setKey(null);
    setIdentity(null);
  }, []);

  // During render, not in an effect: the pages' first requests start in their own effects, which
  // run before a parent's, and would go out without the key after a reload (401, signed out).
  configureClient(storedKey, logout);

  useEffect(() => {
    if (!key || identity) return;
    getJson<Identity>('/v1/whoami').then(setIdentity, logout);
  }, [key, identity, logout]);

  const login = useCallback(async (candidate: string) => {
    const who = await whoAmI(candidate.trim());
    sessionStorage.setItem(STORAGE_KEY, candidate.trim());
    setKey(candidate.trim());
    setIdentity(who);
  }, []);

  const value = useMemo<Session>(
    () => ({
      key,
      identity,
      login,
      logout,
      canWrite: identity?.role === 'admin' || identity?.role === 'member',
      isAdmin: identity?.role === 'admin',
    }),
    [key, identity, login, logout],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}
