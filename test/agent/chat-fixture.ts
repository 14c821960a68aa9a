// The chat model the client tests share (the `openai` client, the Vercel AI SDK): the tiny seeded
// llama with a ChatML template that teaches Hermes-style tool calls (written here; the shape
// Qwen's has), a 1,024-token context, and two tools with closed schemas.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeTinyModel } from './helpers.js';

export const HERMES_TEMPLATE = [
  '{%- if tools %}<|im_start|>system\n{% if messages[0].role == "system" %}{{ messages[0].content }}\n\n{% endif %}',
  'Tools:\n{% for t in tools %}{{ t | tojson }}\n{% endfor %}',
  'Call one as <tool_call>\n{"name": <name>, "arguments": <args>}\n</tool_call><|im_end|>\n',
  '{%- elif messages[0].role == "system" %}<|im_start|>system\n{{ messages[0].content }}<|im_end|>\n{%- endif %}',
  '{%- for m in messages %}{%- if m.role != "system" %}<|im_start|>{{ m.role }}\n',
  '{%- if m.tool_calls %}{% for c in m.tool_calls %}<tool_call>\n',
  '{{ {"name": c.function.name, "arguments": c.function.arguments} | tojson }}\n</tool_call>{% endfor %}',
  '{%- else %}{{ m.content }}{% endif %}<|im_end|>\n{%- endif %}{%- endfor %}',
  '{%- if add_generation_prompt %}<|im_start|>assistant\n{%- endif %}',
].join('');

/** A model folder with the Hermes template (seed 11, context 1,024). */
export function writeChatModel(): string {
  const files = writeTinyModel('llama', 11, { contextLength: 1024 });
  writeFileSync(
    join(files.dir, 'tokenizer_config.json'),
    JSON.stringify({ chat_template: HERMES_TEMPLATE, eos_token: '<|im_end|>' }),
  );
  return files.dir;
}

export const WEATHER_SCHEMA = {
  type: 'object',
  properties: { unit: { enum: ['celsius', 'fahrenheit'] }, rain: { type: 'boolean' } },
  required: ['unit', 'rain'],
  additionalProperties: false,
};
export const TIME_SCHEMA = {
  type: 'object',
  properties: { utc: { type: 'boolean' } },
  required: ['utc'],
  additionalProperties: false,
};
