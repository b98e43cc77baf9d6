/**
 * One local OpenAI stand-in for the demo: the Administration API (keys minted and
 * deleted by the rotation function) and the inference API (chat completions), on
 * one port, sharing one key registry, so a rotated key is accepted for inference
 * the moment it is minted and refused the moment it is deleted.
 */
import { KeyRegistry } from '../fakes/key-registry.ts';
import { listenLocal, sendJson } from '../fakes/local-server.ts';
import { createOpenAIAdminHandler, OpenAIAdminState } from '../fakes/openai-admin.ts';
import { type ChatRequestRecord, createOpenAIChatHandler } from '../fakes/openai-chat.ts';

/** The running stand-in. */
export interface FakeOpenAI {
  /** Base URL with `/v1`, for both the SDK and the admin API. */
  readonly url: string;
  readonly registry: KeyRegistry;
  readonly admin: OpenAIAdminState;
  /** Every inference request, in order (never the key itself). */
  readonly requests: ChatRequestRecord[];
  close(): Promise<void>;
}

/** Starts the stand-in on 127.0.0.1. */
export async function startFakeOpenAI(models: readonly string[]): Promise<FakeOpenAI> {
  const registry = new KeyRegistry();
  const admin = new OpenAIAdminState({ registry });
  const requests: ChatRequestRecord[] = [];
  const adminRoutes = createOpenAIAdminHandler(admin);
  const chatRoutes = createOpenAIChatHandler({
    registry,
    models,
    requests,
    answer: (messages) => `Echo: ${messages.at(-1)?.content ?? ''}`,
  });
  const server = await listenLocal((req, res) => {
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    const handled = path.startsWith('/v1/organization/')
      ? adminRoutes(req, res)
      : chatRoutes(req, res);
    if (!handled) {
      sendJson(res, 404, { error: { message: 'Not found', type: 'invalid_request_error' } });
    }
  });
  return { url: `${server.origin}/v1`, registry, admin, requests, close: server.close };
}
