import { describe, expect, it } from 'vitest';
import { parseChatRequest, type RequestLimits } from '../../../inference/request.ts';
import { HttpError } from '../../../shared/http-error.ts';

const limits: RequestLimits = {
  maxBodyBytes: 1024,
  maxMessages: 3,
  maxTokens: 100,
  allowedModels: ['gpt-4o-mini', 'gemini-2.0-flash'],
};

function rejection(body: string | undefined, isBase64 = false): HttpError {
  try {
    parseChatRequest(body, isBase64, limits);
  } catch (err) {
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).status).toBe(400);
    return err as HttpError;
  }
  throw new Error('expected a rejection');
}

describe('parseChatRequest', () => {
  it('accepts chat messages with model, max_tokens and temperature', () => {
    const req = parseChatRequest(
      JSON.stringify({
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'user', content: 'hi' },
        ],
        model: 'gemini-2.0-flash',
        max_tokens: 50,
        temperature: 0.2,
      }),
      false,
      limits,
    );

    expect(req).toEqual({
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hi' },
      ],
      model: 'gemini-2.0-flash',
      maxTokens: 50,
      temperature: 0.2,
      stream: false,
    });
  });

  it('turns a prompt (and optional system text) into messages with the token cap as default', () => {
    const req = parseChatRequest(
      JSON.stringify({ prompt: 'hello', system: 'terse' }),
      false,
      limits,
    );

    expect(req.messages).toEqual([
      { role: 'system', content: 'terse' },
      { role: 'user', content: 'hello' },
    ]);
    expect(req.model).toBeUndefined();
    expect(req.maxTokens).toBe(100);
  });

  it('decodes a base64-encoded body', () => {
    const body = Buffer.from(JSON.stringify({ prompt: 'hi' })).toString('base64');

    expect(parseChatRequest(body, true, limits).messages).toEqual([
      { role: 'user', content: 'hi' },
    ]);
  });

  it.each([
    ['an empty body', undefined, 'the request body is empty'],
    [
      'a body over the size limit',
      JSON.stringify({ prompt: 'x'.repeat(2000) }),
      'the limit is 1024 bytes',
    ],
    ['invalid JSON', '{"prompt":', 'not valid JSON'],
    ['a JSON array', '[]', 'must be a JSON object'],
    ['an unknown field', '{"prompt":"a","tools":[]}', 'unknown field "tools"'],
    ['neither messages nor prompt', '{"model":"gpt-4o-mini"}', 'needs "messages" or "prompt"'],
    ['both messages and prompt', '{"prompt":"a","messages":[]}', 'either "messages" or "prompt"'],
    ['an empty prompt', '{"prompt":"  "}', '"prompt" must be a non-empty string'],
    ['a non-string prompt', '{"prompt":42}', '"prompt" must be a non-empty string'],
    [
      'system with messages',
      '{"system":"s","messages":[{"role":"user","content":"a"}]}',
      '"system" goes with "prompt"',
    ],
    [
      'an empty messages array',
      '{"messages":[]}',
      '"messages" must be an array of 1 to 3 messages',
    ],
    [
      'too many messages',
      JSON.stringify({ messages: Array(4).fill({ role: 'user', content: 'a' }) }),
      'array of 1 to 3',
    ],
    ['a message that is not an object', '{"messages":["hi"]}', '"messages[0]" must be an object'],
    [
      'a bad role',
      '{"messages":[{"role":"tool","content":"a"}]}',
      '"messages[0]".role must be one of system, user, assistant',
    ],
    [
      'empty content',
      '{"messages":[{"role":"user","content":""}]}',
      '"messages[0]".content must be a non-empty string',
    ],
    [
      'non-string content',
      '{"messages":[{"role":"user","content":[{"type":"text"}]}]}',
      '.content must be a non-empty string',
    ],
    [
      'an extra message field',
      '{"messages":[{"role":"user","content":"a","name":"x"}]}',
      'unknown field "name"',
    ],
    [
      'a model outside the allow-list',
      '{"prompt":"a","model":"gpt-5-pro"}',
      '"model" must be one of gpt-4o-mini, gemini-2.0-flash',
    ],
    [
      'max_tokens over the cap',
      '{"prompt":"a","max_tokens":101}',
      '"max_tokens" must be an integer from 1 to 100',
    ],
    ['fractional max_tokens', '{"prompt":"a","max_tokens":1.5}', '"max_tokens" must be an integer'],
    [
      'temperature out of range',
      '{"prompt":"a","temperature":3}',
      '"temperature" must be a number from 0 to 2',
    ],
    ['a non-boolean stream', '{"prompt":"a","stream":"yes"}', '"stream" must be true or false'],
  ])('rejects %s with a 400 naming the problem', (_name, body, message) => {
    expect(rejection(body).message).toContain(message);
  });
});
