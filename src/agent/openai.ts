// OpenAI-compatible chat completions over Switchyard's LLM runtime, since that is what users' tools
// already speak: `POST /v1/chat/completions` (JSON or, with "stream": true, server-sent events of
// chat.completion.chunk objects ending in `data: [DONE]`) and `GET /v1/models`. Framework-agnostic:
// a request body in, a status with JSON or a stream of SSE text out, so the offload server (or any
// HTTP framework) mounts it; `fetchHandler` wraps it as web-standard Request -> Response.
// Errors are {"error": {"code", "message", "type", "param"}}: the offload protocol's shape and
// OpenAI's at once.
//
// schema.ts: the request body and the shapes around it; prepare.ts: checks and the provider's
// request; run.ts: the answer, JSON or SSE; http.ts: /v1/models and the fetch handler;
// errors.ts: error bodies.

export { errorJson, failure } from './openai/errors.js';
export { fetchHandler, listModels, modelMap, modelNotFound, retrieveModel } from './openai/http.js';
export { prepareChat } from './openai/prepare.js';
export { chatCompletion, runChat } from './openai/run.js';
export {
  type ChatHooks,
  type ChatModels,
  type ChatRequestBody,
  type ChatResult,
  chatRequest,
  type PreparedChat,
} from './openai/schema.js';
