/** views.*: modals (open, push, update) and Home tabs (publish). */
import { checkBlocks, checkLength, checkText } from './block-kit.js';
import type { FakeView } from './types.js';
import { fail, isObject, LIMITS, randomAlnum, str } from './util.js';
import type { Handler, Workspace } from './workspace.js';

/** The view argument, validated; `replacing` is the id of the view it replaces (external_id stays its own). */
function viewArg(ws: Workspace, v: unknown, type: 'modal' | 'home', replacing?: string): Record<string, any> {
  const bad = (messages: string[]) => fail('invalid_arguments', { response_metadata: { messages } });
  if (!isObject(v)) return bad(['[ERROR] failed to match all allowed schemas [json-pointer:/view]']);
  if (Buffer.byteLength(JSON.stringify(v)) > LIMITS.viewBytes) fail('view_too_large');
  const externalId = str(v.external_id);
  if (externalId && [...ws.viewsById.values()].some((x) => x.id !== replacing && x.view.external_id === externalId)) fail('duplicate_external_id');
  if (v.type !== type) bad([`[ERROR] must be '${type}' [json-pointer:/view/type]`]);
  const errors: string[] = [];
  if (type === 'modal') {
    if (v.title === undefined) errors.push('[ERROR] missing required field: title [json-pointer:/view]');
    else checkText(errors, v.title, '/view/title', 24, true);
    if (v.submit !== undefined) checkText(errors, v.submit, '/view/submit', 24, true);
    if (v.close !== undefined) checkText(errors, v.close, '/view/close', 24, true);
    const hasInputs = Array.isArray(v.blocks) && v.blocks.some((b: any) => b?.type === 'input');
    if (hasInputs && v.submit === undefined) errors.push('[ERROR] must provide a submit property when using input blocks [json-pointer:/view]');
  }
  checkBlocks(errors, v.blocks, '/view/blocks', LIMITS.viewBlocks);
  checkLength(errors, v.private_metadata, '/view/private_metadata', 3000);
  checkLength(errors, v.callback_id, '/view/callback_id', 255);
  checkLength(errors, v.external_id, '/view/external_id', 255);
  if (errors.length) bad(errors);
  return v;
}

/**
 * trigger_ids work once and expire 3 s after Slack sent them: for ids from `issueTrigger()` the
 * fake knows when; other ids never expire unless they start with 'expired'.
 */
function useTrigger(ws: Workspace, v: unknown): void {
  const trigger = str(v) ?? '';
  if (!trigger || trigger.startsWith('expired')) fail('expired_trigger_id');
  const issued = ws.issuedTriggers.get(trigger);
  if (issued !== undefined && Date.now() - issued > LIMITS.triggerTtlMs) fail('expired_trigger_id');
  if (ws.usedTriggers.has(trigger)) fail('exchanged_trigger_id');
  ws.usedTriggers.add(trigger);
}

function storeView(ws: Workspace, v: FakeView): Record<string, any> {
  const stored: FakeView = { ...v, hash: `${Math.floor(Date.now() / 1000)}.${randomAlnum(8)}` };
  ws.viewsById.set(stored.id, stored);
  return {
    id: stored.id,
    team_id: ws.id.teamId,
    private_metadata: '',
    callback_id: '',
    external_id: '',
    clear_on_close: false,
    notify_on_close: false,
    ...stored.view,
    state: { values: {} },
    hash: stored.hash,
    root_view_id: stored.rootViewId,
    previous_view_id: stored.previousViewId,
    app_id: ws.id.appId,
    bot_id: ws.id.botId,
  };
}

export const viewsMethods: Record<string, Handler> = {
  'views.open': (ws, a) => {
    const view = viewArg(ws, a.view, 'modal');
    useTrigger(ws, a.trigger_id); // an invalid view does not use the trigger up
    const id = ws.newId('V');
    return { view: storeView(ws, { id, hash: '', rootViewId: id, previousViewId: null, view }) };
  },

  'views.push': (ws, a) => {
    const view = viewArg(ws, a.view, 'modal');
    useTrigger(ws, a.trigger_id);
    // The trigger comes from an interaction in the most recently opened modal stack.
    const top = [...ws.viewsById.values()].filter((v) => !v.userId).pop();
    if (!top) fail('not_found');
    const stack = [...ws.viewsById.values()].filter((v) => v.rootViewId === top.rootViewId);
    if (stack.length >= LIMITS.viewStack) fail('push_limit_reached');
    return { view: storeView(ws, { id: ws.newId('V'), hash: '', rootViewId: top.rootViewId, previousViewId: top.id, view }) };
  },

  'views.update': (ws, a) => {
    const viewId = str(a.view_id);
    const externalId = str(a.external_id);
    const current = viewId ? ws.viewsById.get(viewId) : [...ws.viewsById.values()].find((v) => externalId && v.view.external_id === externalId);
    if (!current) fail('not_found');
    const hash = str(a.hash);
    // The hash guards against overwriting a view someone else updated meanwhile.
    if (hash && hash !== current.hash) fail('hash_conflict');
    const view = viewArg(ws, a.view, current.view.type === 'home' ? 'home' : 'modal', current.id);
    return { view: storeView(ws, { ...current, view }) };
  },

  'views.publish': (ws, a) => {
    const userId = str(a.user_id) ?? '';
    if (!ws.users.has(userId)) fail('user_not_found');
    const current = [...ws.viewsById.values()].find((v) => v.userId === userId);
    const view = viewArg(ws, a.view, 'home', current?.id);
    const hash = str(a.hash);
    if (current && hash && hash !== current.hash) fail('hash_conflict');
    const id = current?.id ?? ws.newId('V');
    return { view: storeView(ws, { id, hash: '', rootViewId: id, previousViewId: null, userId, view }) };
  },
};
