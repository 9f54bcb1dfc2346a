/** auth.test, users.* and usergroups.*: who the bot is, people and their groups. */
import { bool, fail, paginate, str } from './util.js';
import type { Handler } from './workspace.js';

export const usersMethods: Record<string, Handler> = {
  'auth.test': (ws) => ({
    url: `${ws.id.baseUrl()}/`,
    team: 'Warroom Sandbox',
    team_id: ws.id.teamId,
    user: ws.id.botName,
    user_id: ws.botUserId,
    bot_id: ws.id.botId,
    is_enterprise_install: false,
  }),

  'usergroups.list': (ws, a) => {
    const withUsers = bool(a.include_users);
    const withCount = bool(a.include_count);
    return {
      usergroups: [...ws.groups.values()].map((g) => ({
        id: g.id,
        team_id: ws.id.teamId,
        is_usergroup: true,
        name: g.name,
        handle: g.handle,
        description: '',
        date_delete: 0,
        ...(withCount ? { user_count: g.users.length } : {}),
        ...(withUsers ? { users: [...g.users] } : {}),
      })),
    };
  },

  'usergroups.users.list': (ws, a) => {
    const g = ws.groups.get(str(a.usergroup) ?? '');
    if (!g) fail('no_such_subteam');
    return { users: [...g.users] };
  },

  'users.info': (ws, a) => ({ user: ws.userJson(ws.user(a.user)) }),

  'users.list': (ws, a) => {
    // "Providing no limit value will result in Slack attempting to deliver you the entire result set."
    const all = [...ws.users.values()];
    const { page, nextCursor } = paginate(all, a, Math.max(all.length, 1), Number.MAX_SAFE_INTEGER);
    return { members: page.map((u) => ws.userJson(u)), response_metadata: { next_cursor: nextCursor } };
  },

  'users.profile.get': (ws, a) => ({ profile: ws.profileJson(ws.user(a.user ?? ws.botUserId)) }),
};
