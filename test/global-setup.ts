/**
 * One moto_server for the whole test run; each test uses unique names.
 * Tests read its endpoint with `inject('motoEndpoint')`.
 */
import type { TestProject } from 'vitest/node';
import { startMoto } from '../fakes/moto-server.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    motoEndpoint: string;
  }
}

export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const moto = await startMoto();
  project.provide('motoEndpoint', moto.endpoint);
  return () => moto.stop();
}
