import { notesSchemas } from '../after-call/notes-routes';
import { agentPageSchemas } from '../agent-page/agent-page-feature';
import { callbackSchemas } from '../callbacks/callback-routes';
import { fineSchemas } from '../callbacks/fine-routes';
import { complaintSchemas } from '../complaints/complaint-routes';
import { protectionSchemas } from '../protection/protection-routes';
import { qcSchemas } from '../quality/qc-routes';
import { monthlyReportSchemas } from '../reports/monthly-report';
import { calendarYearInput, yearQuery } from '../holidays/holiday-routes';
import { notifySchemas } from '../notify/notify-routes';
import { recordingSchemas } from '../recordings/recording-routes';
import { rosterSchemas } from '../roster/roster-routes';
import { callSchemas } from '../routing/calls-routes';
import { agentSchemas } from './agents-routes';
import { analyticsSchemas } from './analytics-routes';
import { notesSchema } from './notes-input';
import { apiRoute, type ApiRoute } from './openapi';
import { weeklyReportSchemas } from './reports-routes';
import { ticketSchemas } from '../tickets/ticket-routes';

const { agentId, createAgent, updateAgent } = agentSchemas;
const { idParam: rosterId, newShift, schedule, newLeave, range, newHotline, hotlinePatch } = rosterSchemas;
const { idParam: ruleId, addRule, changeRule, listQuery: blocklistQuery, addInternal, liftReports } = protectionSchemas;
const { listQuery: callbackQuery, idParam: callbackId, reassignBody } = callbackSchemas;
const { idParam: complaintId, listQuery: complaintQuery, progressBody, closeBody } = complaintSchemas;

/**
 * Every /api route, one line each: method, Express path, what it does, and the zod schemas its
 * handler validates with ({ params, query, body }). test/e2e/openapi.test.ts fails when a route
 * of the app is missing here or a line here names no route. Served at GET /api/openapi.json.
 */
export const API_ROUTES: ApiRoute[] = [
  apiRoute('get', '/api/openapi.json', 'This description of the API (OpenAPI 3.1)'),
  apiRoute('post', '/api/agents', 'Add an agent', { body: createAgent }),
  apiRoute('get', '/api/agents', 'List agents with their state'),
  apiRoute('get', '/api/agents/:id', 'One agent: paused, on duty, on leave, covering for', { params: agentId }),
  apiRoute('patch', '/api/agents/:id', 'Change an agent (name, phone, active, paused, position)', { params: agentId, body: updateAgent }),
  apiRoute('delete', '/api/agents/:id', 'Deactivate an agent', { params: agentId }),
  apiRoute('get', '/api/agents/:id/schedule', "An agent's weekly pattern", { params: rosterId }),
  apiRoute('put', '/api/agents/:id/schedule', "Replace an agent's weekly pattern", { params: rosterId, body: schedule }),
  apiRoute('get', '/api/agents/:id/page-link', "A fresh link to the agent's phone page", { params: agentPageSchemas.idParam }),
  apiRoute('get', '/api/calls', 'Calls, newest first, filtered and paged', { query: callSchemas.listQuery }),
  apiRoute('get', '/api/calls/unfinished-notes', 'Answered calls whose notes are not finished'),
  apiRoute('get', '/api/calls/:id', 'One call with its ring attempts', { params: callSchemas.callId }),
  apiRoute('patch', '/api/calls/:id', "A call's notes: type, summary, caller's name (typing it a complaint opens a case)", { params: notesSchemas.callId, body: notesSchema }),
  apiRoute('get', '/api/calls/:id/notes-history', "Every change of a call's notes", { params: notesSchemas.callId }),
  apiRoute('get', '/api/customers/:phone', "A caller's customer file", { params: notesSchemas.phoneParam }),
  apiRoute('patch', '/api/customers/:phone', "Change a caller's customer file", { params: notesSchemas.phoneParam, body: notesSchemas.customerChanges }),
  apiRoute('get', '/api/analytics/summary', 'Answer rate, service level, waits and per-agent figures over a range', { query: analyticsSchemas.rangeQuery }),
  apiRoute('get', '/api/reports/weekly', 'The weekly summary (R7)', { query: weeklyReportSchemas.weekQuery }),
  apiRoute('get', '/api/reports/monthly', 'The monthly evaluation (R8)', { query: monthlyReportSchemas.monthQuery }),
  apiRoute('post', '/api/shifts', 'Add a dated shift or day off', { body: newShift }),
  apiRoute('get', '/api/shifts', 'Dated shifts in a range', { query: range }),
  apiRoute('delete', '/api/shifts/:id', 'Remove a dated shift', { params: rosterId }),
  apiRoute('post', '/api/leaves', 'Record a leave with its substitute', { body: newLeave }),
  apiRoute('get', '/api/leaves', 'Leaves'),
  apiRoute('delete', '/api/leaves/:id', 'Cancel a leave', { params: rosterId }),
  apiRoute('post', '/api/hotlines', 'Add a hotline number with its group', { body: newHotline }),
  apiRoute('get', '/api/hotlines', 'Hotline numbers and their groups'),
  apiRoute('get', '/api/hotlines/:id', 'One hotline number', { params: rosterId }),
  apiRoute('patch', '/api/hotlines/:id', 'Change a hotline number: name, group, greeting, language', { params: rosterId, body: hotlinePatch }),
  apiRoute('get', '/api/roster', "Who is on duty when, and the gaps, over a range (at most 31 days)", { query: range }),
  apiRoute('post', '/api/blocklist', 'Block a number, a prefix or withheld callers', { body: addRule }),
  apiRoute('get', '/api/blocklist', 'Blocklist rules (in force, or all)', { query: blocklistQuery }),
  apiRoute('patch', '/api/blocklist/:id', 'Change a blocklist rule', { params: ruleId, body: changeRule }),
  apiRoute('delete', '/api/blocklist/:id', 'Remove a blocklist rule', { params: ruleId }),
  apiRoute('post', '/api/internal-numbers', 'Add an internal number or prefix', { body: addInternal }),
  apiRoute('get', '/api/internal-numbers', 'Internal numbers'),
  apiRoute('delete', '/api/internal-numbers/:id', 'Remove an internal number', { params: ruleId }),
  apiRoute('get', '/api/caller-reports', "Agents' harassment reports", { query: blocklistQuery }),
  apiRoute('post', '/api/caller-reports/lift', "Lift the reports on a number", { body: liftReports }),
  apiRoute('get', '/api/callbacks', 'Callbacks, filtered', { query: callbackQuery }),
  apiRoute('get', '/api/callbacks/:id', 'One callback with its attempts and jobs', { params: callbackId }),
  apiRoute('patch', '/api/callbacks/:id', 'Hand a callback to another agent', { params: callbackId, body: reassignBody }),
  apiRoute('post', '/api/callbacks/:id/dial', "Place the callback: ring its owner, then the caller", { params: callbackId }),
  apiRoute('get', '/api/fines', 'Fines of a month (R3)', { query: fineSchemas.monthQuery }),
  apiRoute('post', '/api/fines/:id/waive', 'Waive a fine, saying why', { params: fineSchemas.idParam, body: fineSchemas.waiveBody }),
  apiRoute('get', '/api/complaints', 'Complaint cases (R11)', { query: complaintQuery }),
  apiRoute('get', '/api/complaints/:id', 'One complaint case', { params: complaintId }),
  apiRoute('post', '/api/complaints/:id/progress', 'A progress reply: stops the reply clock', { params: complaintId, body: progressBody }),
  apiRoute('post', '/api/complaints/:id/close', 'Close a case with its resolution', { params: complaintId, body: closeBody }),
  apiRoute('get', '/api/qc/checklist', 'The quality checklist'),
  apiRoute('put', '/api/qc/checklist', 'Replace the quality checklist', { body: qcSchemas.checklistBody }),
  apiRoute('get', '/api/qc/queue', 'Calls drawn for quality inspection', { query: qcSchemas.agentQuery }),
  apiRoute('post', '/api/qc/reviews', 'Record an inspection of a call', { body: qcSchemas.reviewBody }),
  apiRoute('get', '/api/qc/reviews', 'Inspections, by agent and month', { query: qcSchemas.reviewsQuery }),
  apiRoute('get', '/api/calls/:id/recording', "A call's recording, streamed (Range honoured; a console session or an agent's signed link also)", { params: recordingSchemas.callParams, query: recordingSchemas.playQuery, roles: ['admin', 'supervisor', 'qc'] }),
  apiRoute('get', '/api/calls/:id/recordings', "A call's recordings (the conversation, a voice message)", { params: recordingSchemas.callParams }),
  apiRoute('post', '/api/calls/:id/recording/hold', "Keep a call's recordings past their retention", { params: recordingSchemas.callParams, body: recordingSchemas.holdBody }),
  apiRoute('delete', '/api/calls/:id/recording/hold', 'Release the hold: retention applies again', { params: recordingSchemas.callParams }),
  apiRoute('post', '/api/calls/:id/recording/link', 'A signed link for an agent to hear their own call', { params: recordingSchemas.callParams, body: recordingSchemas.linkBody }),
  apiRoute('get', '/api/recordings', 'Recordings, by time and agent', { query: recordingSchemas.listQuery }),
  apiRoute('get', '/api/holidays', "A year's public holidays and make-up workdays (调休)", { query: yearQuery }),
  apiRoute('put', '/api/holidays', "Replace a year's holidays and make-up workdays", { query: yearQuery, body: calendarYearInput }),
  apiRoute('post', '/api/notify-channels', 'Add a WeCom or DingTalk channel', { body: notifySchemas.newChannel, roles: ['admin'] }),
  apiRoute('get', '/api/notify-channels', 'Notify channels, secrets never shown'),
  apiRoute('delete', '/api/notify-channels/:id', 'Remove a notify channel', { params: notifySchemas.uuidParam, roles: ['admin'] }),
  apiRoute('put', '/api/agents/:id/notify', "Where an agent's notices go: SMS or a channel", { params: notifySchemas.uuidParam, body: notifySchemas.agentNotify, roles: ['admin'] }),
  apiRoute('get', '/api/agents/:id/notify', "Where an agent's notices go", { params: notifySchemas.uuidParam }),
  apiRoute('put', '/api/alerts', "Where admins' alerts go: SMS or a channel", { body: notifySchemas.alerts, roles: ['admin'] }),
  apiRoute('get', '/api/alerts', "Where admins' alerts go"),
  apiRoute('get', '/api/notifications', 'The delivery log of notices', { query: notifySchemas.listQuery }),
  apiRoute('get', '/api/recordings/:id/listens', 'Who listened to a recording, when, from where', { params: recordingSchemas.recordingParams }),
  apiRoute('post', '/api/tickets', 'Open a ticket (工单): follow-up, dispatch, return visit or complaint; the same call and kind again answers the open one (200)', { body: ticketSchemas.createBody }),
  apiRoute('get', '/api/tickets', 'Tickets of every kind, complaint cases among them', { query: ticketSchemas.listQuery }),
  apiRoute('get', '/api/tickets/:id', 'One ticket: notes, history, linked calls', { params: ticketSchemas.idParam }),
  apiRoute('post', '/api/tickets/:id/progress', 'A progress note (open -> in-progress; a complaint: its reply)', { params: ticketSchemas.idParam, body: ticketSchemas.progressBody }),
  apiRoute('post', '/api/tickets/:id/close', 'Close with a resolution and fault class; a dispatch or complaint opens its return visit', { params: ticketSchemas.idParam, body: ticketSchemas.closeBody }),
  apiRoute('post', '/api/tickets/:id/calls', 'Link a call to a ticket', { params: ticketSchemas.idParam, body: ticketSchemas.linkCallBody }),
  apiRoute('post', '/api/tickets/:id/dial', "Call the customer back through the hotline (the owner's phone first); answered, the ticket closes", { params: ticketSchemas.idParam }),
];
