// The dashboard: log in, pick a scope and a period, and see the reports as charts and tables.
// Every number comes from the JSON reports; window.dashboard keeps what was drawn, for tests.
// A click on a funnel or forecast bar, or on a rep's row, lists the opportunities that row counts.
import * as echarts from './vendor/echarts-6.1.0.esm.min.js';

window.echarts = echarts;
const T = {
  en: {title: 'Sales dashboard', login: 'Log in', username: 'Username', password: 'Password', sign_in: 'Log in',
       logout: 'Log out', department: 'Department', rep: 'Rep', from: 'From', to: 'To', apply: 'Apply',
       all: 'All', funnel: 'Funnel', going_cold: 'Going cold: days since the last follow-up',
       reps: 'Per rep', channels: 'Channels and campaigns', forecast: 'Forecast by expected signing month',
       rfm: 'RFM segments', workbench: 'My workbench', count: 'Now in stage', conversion: 'Conversion',
       expected: 'Expected rate', leads: 'Leads', converted: 'Converted', expected_amount: 'Expected amount',
       weighted: 'Weighted amount', customers: 'Customers', today: 'Contact today', overdue: 'Overdue',
       stalled: 'High intent, stalled', pinned: 'Pinned', never: 'never', lang: '中文',
       cols: ['Rep', 'New', 'Won', 'Won amount', 'Follow-ups', 'Per week', 'Overdue', 'Held'],
       opportunities: 'Opportunities', drill_cols: ['Opportunity', 'Stage', 'Amount', 'Expected close'],
       bad_login: 'Unknown user or wrong password',
       stages: {lead_acquired: 'Lead acquired', initial_contact: 'Initial contact', needs_confirmed: 'Needs confirmed',
                proposal: 'Proposal', negotiation: 'Negotiation', contract_signed: 'Contract signed', lost: 'Lost'}},
  zh: {title: '销售看板', login: '登录', username: '用户名', password: '密码', sign_in: '登录', logout: '退出',
       department: '部门', rep: '销售', from: '开始', to: '结束', apply: '查询', all: '全部', funnel: '销售漏斗',
       going_cold: '跟进热力图：距上次跟进天数', reps: '销售业绩', channels: '渠道与活动',
       forecast: '按预计签约月份的预测', rfm: 'RFM 客户分层', workbench: '我的工作台', count: '当前数量',
       conversion: '转化率', expected: '期望转化率', leads: '线索', converted: '已转化', expected_amount: '预计金额',
       weighted: '加权金额', customers: '客户数', today: '今日待联系', overdue: '逾期未跟进',
       stalled: '高意向但未推进', pinned: '上首屏', never: '从未', lang: 'English',
       cols: ['销售', '新增客户', '赢单', '赢单金额', '跟进', '每周跟进', '逾期提醒', '持有客户'],
       opportunities: '商机列表', drill_cols: ['商机', '阶段', '金额', '预计成交'],
       bad_login: '用户名或密码错误',
       stages: {lead_acquired: '获取线索', initial_contact: '初步接触', needs_confirmed: '需求确认', proposal: '方案报价',
                negotiation: '商务谈判', contract_signed: '签约', lost: '输单'}},
};
const SEGMENTS_ZH = {champions: '重要价值', loyal: '忠诚', potential_loyalist: '潜力', new: '新客户', promising: '有希望',
  need_attention: '需关注', about_to_sleep: '将沉睡', at_risk: '有流失风险', cant_lose: '不能失去', hibernating: '沉睡',
  lost: '已流失'};
const REPORTS = ['funnel', 'going-cold', 'reps', 'channels', 'forecast', 'rfm'];
const state = window.dashboard = {ready: false, data: {}, lang: localStorage.getItem('lang') || 'zh'};
const $ = (sel) => document.querySelector(sel);
const t = (key) => T[state.lang][key] ?? key;
const charts = {};

async function api(path, params = {}) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v));
  const response = await fetch(`${path}?${query}`, {headers: {Authorization: `Bearer ${sessionStorage.getItem('token')}`}});
  if (response.status === 401) { logout(); throw new Error('logged out'); }
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

function filters() {
  return Object.fromEntries(new FormData($('#controls')).entries());
}

function translate() {
  document.documentElement.lang = state.lang;
  document.querySelectorAll('[data-t]').forEach((el) => { el.textContent = t(el.dataset.t); });
  $('#lang').textContent = t('lang');
}

async function start() {
  const options = await api('/v1/reports/options');
  state.me = options.me;
  $('#who').textContent = `${options.me.username} (${options.me.role})`;
  const fill = (select, items, value, label) => {
    select.replaceChildren(new Option(t('all'), ''), ...items.map((i) => new Option(label(i), value(i))));
  };
  fill($('[name=department_id]'), options.departments, (d) => d.id, (d) => d.name);
  fill($('[name=owner_id]'), options.reps, (r) => r.user_id, (r) => r.username);
  $('#dept-box').hidden = $('#rep-box').hidden = options.me.role === 'rep';
  $('#login').hidden = true;
  $('#main').hidden = $('#logout').hidden = false;
  await load();
}

async function load() {
  state.ready = false;
  const params = filters();
  const answers = await Promise.all(REPORTS.map((name) => api(`/v1/reports/${name}`, params)));
  REPORTS.forEach((name, i) => { state.data[name] = answers[i]; });
  const owner = params.owner_id || (state.me.role === 'rep' ? state.me.user_id : '');
  state.data.workbench = owner ? await api('/v1/workbench', {owner_id: owner}) : null;
  draw();
  state.ready = true;
}

function chart(id, option, rows) {
  if (!charts[id]) {
    charts[id] = echarts.init(document.getElementById(id));
    charts[id].on('click', (clicked) => drill(charts[id].rows?.[clicked.dataIndex]?.opportunities));
  }
  charts[id].rows = rows;  // the report rows behind the bars, for the drill-down
  charts[id].setOption(option, true);
}

async function drill(listing) {
  if (!listing) return;
  state.drill = null;
  const query = Object.fromEntries(new URLSearchParams(listing.split('?')[1] || ''));
  state.drill = {listing, items: (await api('/dashboard/opportunities', query)).items};
  drawDrill();
}

function drawDrill() {
  const shown = state.drill;
  $('#drill-panel').hidden = !shown;
  if (!shown) return;
  $('#drill').innerHTML = `<tr>${t('drill_cols').map((c) => `<th>${c}</th>`).join('')}</tr>` + shown.items.map((o) =>
    `<tr data-opportunity="${esc(o.id)}"><td>${esc(o.name)}</td><td>${esc(t('stages')[o.stage] || o.stage)}</td>
    <td>${esc(o.amount)}</td><td>${esc(o.expected_close_date)}</td></tr>`).join('');
}

function draw() {
  const d = state.data;
  const stages = d.funnel.stages;
  chart('chart-funnel', {
    tooltip: {trigger: 'axis'}, legend: {}, xAxis: {type: 'category', data: stages.map((s) => t('stages')[s.stage] || s.stage)},
    yAxis: [{type: 'value'}, {type: 'value', max: 1}],
    series: [{name: t('count'), type: 'bar', data: stages.map((s) => s.count), label: {show: true, position: 'top'}},
             {name: t('conversion'), type: 'line', yAxisIndex: 1, data: stages.map((s) => s.conversion_rate)},
             {name: t('expected'), type: 'line', yAxisIndex: 1, lineStyle: {type: 'dashed'},
              data: stages.map((s) => s.expected_rate)}]}, stages);
  const cold = d['going-cold'];
  const labels = cold.buckets.map((b) => (b === 'never' ? t('never') : b));
  chart('chart-cold', {
    tooltip: {}, xAxis: {type: 'category', data: labels}, yAxis: {type: 'category', data: cold.rows.map((r) => r.username)},
    visualMap: {min: 0, max: Math.max(1, ...cold.rows.flatMap((r) => r.counts)), orient: 'horizontal', left: 'center', bottom: 0},
    grid: {bottom: 60},
    series: [{type: 'heatmap', label: {show: true},
              data: cold.rows.flatMap((r, y) => r.counts.map((n, x) => [x, y, n]))}]});
  const head = `<tr>${t('cols').map((c) => `<th>${c}</th>`).join('')}</tr>`;
  $('#table-reps').innerHTML = head + d.reps.items.map((i) => `<tr data-user="${esc(i.user_id)}"><td>${esc(i.username)}</td>
    <td>${i.new_customers}</td><td>${i.won}</td><td>${i.won_amount}</td><td>${i.followups}</td>
    <td>${i.followups_per_week}</td><td>${i.overdue_reminders}</td><td>${i.held}</td></tr>`).join('');
  $('#table-reps').querySelectorAll('tr[data-user]').forEach((row, n) => {
    row.addEventListener('click', () => drill(d.reps.items[n].opportunities));
  });
  const channels = d.channels.items;
  chart('chart-channels', {
    tooltip: {trigger: 'axis'}, legend: {},
    xAxis: {type: 'category', data: channels.map((c) => [c.channel, c.campaign].filter(Boolean).join(' / '))},
    yAxis: {type: 'value'},
    series: [{name: t('leads'), type: 'bar', data: channels.map((c) => c.leads)},
             {name: t('converted'), type: 'bar', data: channels.map((c) => c.converted)}]});
  const months = d.forecast.months;
  chart('chart-forecast', {
    tooltip: {trigger: 'axis'}, legend: {}, xAxis: {type: 'category', data: months.map((m) => m.month)},
    yAxis: {type: 'value'},
    series: [{name: t('expected_amount'), type: 'bar', data: months.map((m) => Number(m.expected_amount))},
             {name: t('weighted'), type: 'bar', data: months.map((m) => Number(m.weighted_amount))}]}, months);
  const segments = d.rfm.segments;
  chart('chart-rfm', {
    tooltip: {}, xAxis: {type: 'category', axisLabel: {rotate: 30},
                         data: segments.map((s) => (state.lang === 'zh' ? SEGMENTS_ZH[s.segment] : s.segment))},
    yAxis: {type: 'value'}, grid: {bottom: 80},
    series: [{name: t('customers'), type: 'bar', data: segments.map((s) => s.count), label: {show: true, position: 'top'}}]});
  drawWorkbench(d.workbench);
  drawDrill();
}

function drawWorkbench(bench) {
  $('#workbench-panel').hidden = !bench;
  if (!bench) return;
  const list = (key, label) => `<div><b>${t(label)}</b> (${bench[key].length})<ul>${bench[key].map((e) =>
    `<li>${esc(e.name)} · ${t('stages')[e.stage] || e.stage} · ${e.days_since_followup ?? '-'}d · ${esc(e.suggested_next_step)}</li>`).join('')}</ul></div>`;
  $('#workbench').innerHTML = list('today', 'today') + list('overdue', 'overdue') +
    list('stalled_high_intent', 'stalled') + list('pinned', 'pinned');
}

function esc(text) {
  return String(text ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function logout() {
  sessionStorage.removeItem('token');
  $('#main').hidden = $('#logout').hidden = true;
  $('#login').hidden = false;
}

$('#login').addEventListener('submit', async (event) => {
  event.preventDefault();
  const body = Object.fromEntries(new FormData(event.target).entries());
  const response = await fetch('/dashboard/login', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                                     body: JSON.stringify(body)});
  if (!response.ok) { $('#login-error').textContent = t('bad_login'); return; }
  sessionStorage.setItem('token', (await response.json()).access_token);
  $('#login-error').textContent = '';
  await start();
});
$('#controls').addEventListener('submit', (event) => { event.preventDefault(); load(); });
$('#logout').addEventListener('click', logout);
$('#lang').addEventListener('click', () => {
  state.lang = state.lang === 'zh' ? 'en' : 'zh';
  localStorage.setItem('lang', state.lang);
  translate();
  if (state.data.funnel) draw();
});
translate();
if (sessionStorage.getItem('token')) start().catch(logout);
