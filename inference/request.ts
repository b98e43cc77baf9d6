/**
 * Validation of an inference request body. Every rejection names the field and
 * what is allowed, and becomes a 400.
 */
import { badRequest } from '../shared/http-error.ts';

/** Roles a caller may use in `messages`. */
export const CHAT_ROLES = ['system', 'user', 'assistant'] as const;

/** One of {@link CHAT_ROLES}. */
export type ChatRole = (typeof CHAT_ROLES)[number];

/** One chat message. */
export interface ChatMessage {
  readonly role: ChatRole;
  readonly content: string;
}

/** A validated request. */
export interface ChatRequest {
  readonly messages: readonly ChatMessage[];
  /** The model the caller asked for, if any (already checked against the allow-list). */
  readonly model: string | undefined;
  /** Output token cap sent to the provider. */
  readonly maxTokens: number;
  readonly temperature: number | undefined;
  /** True when the caller asked for a streamed answer. */
  readonly stream: boolean;
}

/** Limits a request is checked against. */
export interface RequestLimits {
  readonly maxBodyBytes: number;
  readonly maxMessages: number;
  readonly maxTokens: number;
  readonly allowedModels: readonly string[];
}

const FIELDS = [
  'messages',
  'prompt',
  'system',
  'model',
  'max_tokens',
  'temperature',
  'stream',
] as const;

/**
 * Parses and validates a request body.
 *
 * @param body - The raw body from the event.
 * @param isBase64Encoded - The event's flag; the body is decoded first when set.
 * @throws {HttpError} 400 with a message naming the problem.
 */
export function parseChatRequest(
  body: string | undefined | null,
  isBase64Encoded: boolean | undefined,
  limits: RequestLimits,
): ChatRequest {
  if (body === undefined || body === null || body === '') {
    throw badRequest('the request body is empty; send a JSON object with "messages" or "prompt"');
  }
  const raw = isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  if (raw.length > limits.maxBodyBytes) {
    throw badRequest(
      `the request body is ${raw.length} bytes; the limit is ${limits.maxBodyBytes} bytes`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw badRequest('the request body is not valid JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw badRequest('the request body must be a JSON object with "messages" or "prompt"');
  }
  const o = parsed as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !(FIELDS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    throw badRequest(
      `unknown field ${JSON.stringify(unknown[0])}; allowed fields are ${FIELDS.join(', ')}`,
    );
  }
  return {
    messages: messagesOf(o, limits.maxMessages),
    model: modelOf(o.model, limits.allowedModels),
    maxTokens: maxTokensOf(o.max_tokens, limits.maxTokens),
    temperature: temperatureOf(o.temperature),
    stream: streamOf(o.stream),
  };
}

function messagesOf(o: Record<string, unknown>, maxMessages: number): ChatMessage[] {
  const hasMessages = o.messages !== undefined;
  const hasPrompt = o.prompt !== undefined;
  if (hasMessages && hasPrompt) throw badRequest('send either "messages" or "prompt", not both');
  if (!hasMessages && !hasPrompt) throw badRequest('the request needs "messages" or "prompt"');
  if (hasPrompt) {
    if (typeof o.prompt !== 'string' || o.prompt.trim() === '') {
      throw badRequest('"prompt" must be a non-empty string');
    }
    const out: ChatMessage[] = [];
    if (o.system !== undefined) {
      if (typeof o.system !== 'string' || o.system.trim() === '') {
        throw badRequest('"system" must be a non-empty string');
      }
      out.push({ role: 'system', content: o.system });
    }
    out.push({ role: 'user', content: o.prompt });
    return out;
  }
  if (o.system !== undefined) {
    throw badRequest(
      '"system" goes with "prompt"; with "messages" send a message with role "system"',
    );
  }
  if (!Array.isArray(o.messages) || o.messages.length === 0 || o.messages.length > maxMessages) {
    throw badRequest(`"messages" must be an array of 1 to ${maxMessages} messages`);
  }
  return o.messages.map((m: unknown, i) => {
    const at = `"messages[${i}]"`;
    if (!m || typeof m !== 'object' || Array.isArray(m)) {
      throw badRequest(`${at} must be an object with "role" and "content"`);
    }
    const msg = m as Record<string, unknown>;
    const extra = Object.keys(msg).find((k) => k !== 'role' && k !== 'content');
    if (extra !== undefined) {
      throw badRequest(
        `${at} has unknown field ${JSON.stringify(extra)}; allowed are role, content`,
      );
    }
    if (typeof msg.role !== 'string' || !(CHAT_ROLES as readonly string[]).includes(msg.role)) {
      throw badRequest(`${at}.role must be one of ${CHAT_ROLES.join(', ')}`);
    }
    if (typeof msg.content !== 'string' || msg.content.trim() === '') {
      throw badRequest(`${at}.content must be a non-empty string`);
    }
    return { role: msg.role as ChatRole, content: msg.content };
  });
}

function modelOf(v: unknown, allowed: readonly string[]): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !allowed.includes(v)) {
    throw badRequest(`"model" must be one of ${allowed.join(', ')}`);
  }
  return v;
}

function maxTokensOf(v: unknown, cap: number): number {
  if (v === undefined) return cap;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > cap) {
    throw badRequest(`"max_tokens" must be an integer from 1 to ${cap}`);
  }
  return v;
}

function temperatureOf(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 2) {
    throw badRequest('"temperature" must be a number from 0 to 2');
  }
  return v;
}

function streamOf(v: unknown): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw badRequest('"stream" must be true or false');
  return v;
}
