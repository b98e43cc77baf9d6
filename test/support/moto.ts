/** Tests import moto helpers from here; the implementation is shared with the demo and bench. */
export { freePort, type MotoServer, startMoto } from '../../tools/fakes/moto-server.ts';
