// Invite codes (邀请码) the office hands out so volunteers can join from the phone app.
import { request } from './index.js'

/** Every invite code, newest first. */
export const invites = () => request('GET', '/invites')
/** A new code for {label, area?, quota, expires_at}; the server draws the code. */
export const createInvite = (body) => request('POST', '/invites', { json: body })
/** Change a code: {active} (停用 / 启用), {quota}, {expires_at}. */
export const changeInvite = (code, changes) =>
  request('PATCH', `/invites/${encodeURIComponent(code)}`, { json: changes })

/** The address a poster gives: the phone app's join page with the code filled in. */
export const joinLink = (invite) => new URL(invite.join_path, window.location.origin).href
