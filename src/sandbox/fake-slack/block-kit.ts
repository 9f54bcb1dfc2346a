/**
 * Block Kit validation: the limits Slack enforces, reported the way Slack reports them
 * (`invalid_blocks` / `invalid_arguments` + response_metadata.messages with a JSON pointer).
 */
import { isObject } from './util.js';

export function checkText(errors: string[], t: unknown, ptr: string, max: number, plainOnly = false): void {
  if (!isObject(t) || typeof t.text !== 'string') {
    errors.push(`[ERROR] must be a text object [json-pointer:${ptr}]`);
    return;
  }
  if (plainOnly && t.type !== 'plain_text') errors.push(`[ERROR] must be plain_text [json-pointer:${ptr}/type]`);
  if (t.text.length > max) errors.push(`[ERROR] must be less than ${max + 1} characters [json-pointer:${ptr}/text]`);
}

export function checkLength(errors: string[], v: unknown, ptr: string, max: number): void {
  if (typeof v === 'string' && v.length > max) errors.push(`[ERROR] must be less than ${max + 1} characters [json-pointer:${ptr}]`);
}

function checkElement(errors: string[], e: unknown, ptr: string): void {
  if (!isObject(e) || typeof e.type !== 'string') {
    errors.push(`[ERROR] missing required field: type [json-pointer:${ptr}]`);
    return;
  }
  checkLength(errors, e.action_id, `${ptr}/action_id`, 255);
  if (e.type === 'button') {
    checkText(errors, e.text, `${ptr}/text`, 75, true);
    checkLength(errors, e.value, `${ptr}/value`, 2000);
    checkLength(errors, e.url, `${ptr}/url`, 3000);
  }
  if (e.placeholder !== undefined) checkText(errors, e.placeholder, `${ptr}/placeholder`, 150, true);
}

export function checkBlocks(errors: string[], blocks: unknown, ptr: string, max: number): void {
  if (!Array.isArray(blocks)) {
    errors.push(`[ERROR] must be an array [json-pointer:${ptr}]`);
    return;
  }
  if (blocks.length > max) errors.push(`[ERROR] no more than ${max} items allowed [json-pointer:${ptr}]`);
  blocks.forEach((b: unknown, i) => {
    const p = `${ptr}/${i}`;
    if (!isObject(b) || typeof b.type !== 'string') {
      errors.push(`[ERROR] missing required field: type [json-pointer:${p}]`);
      return;
    }
    checkLength(errors, b.block_id, `${p}/block_id`, 255);
    switch (b.type) {
      case 'header':
        checkText(errors, b.text, `${p}/text`, 150, true);
        break;
      case 'section':
        if (b.text === undefined && b.fields === undefined) errors.push(`[ERROR] must provide either text or fields [json-pointer:${p}]`);
        if (b.text !== undefined) checkText(errors, b.text, `${p}/text`, 3000);
        if (Array.isArray(b.fields)) {
          if (b.fields.length > 10) errors.push(`[ERROR] no more than 10 items allowed [json-pointer:${p}/fields]`);
          b.fields.forEach((f: unknown, j: number) => checkText(errors, f, `${p}/fields/${j}`, 2000));
        }
        if (b.accessory !== undefined) checkElement(errors, b.accessory, `${p}/accessory`);
        break;
      case 'actions':
      case 'context': {
        const max = b.type === 'actions' ? 25 : 10;
        if (!Array.isArray(b.elements) || b.elements.length === 0) errors.push(`[ERROR] must provide elements [json-pointer:${p}/elements]`);
        else if (b.elements.length > max) errors.push(`[ERROR] no more than ${max} items allowed [json-pointer:${p}/elements]`);
        if (b.type === 'actions' && Array.isArray(b.elements)) b.elements.forEach((e: unknown, j: number) => checkElement(errors, e, `${p}/elements/${j}`));
        break;
      }
      case 'input':
        checkText(errors, b.label, `${p}/label`, 2000, true);
        checkElement(errors, b.element, `${p}/element`);
        break;
    }
  });
}

