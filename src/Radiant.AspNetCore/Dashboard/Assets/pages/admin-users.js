// Think Tank users (section 29.2): the tenant's users with their figures — stats, search, status and tier filters,
// sort, keyset paging, suspend / reactivate, and the filtered list as CSV. The filters live in the page's address too,
// so a reload or a shared link shows the same list.
import { html, api, url, useLoad, useState, useEffect, usePager, Pager, Table, Cards, Busy, ErrorMessage, Notice, Input, Select, money, number, when } from '../lib.js';

const statuses = [{ value: '', label: 'Any status' }, { value: 'active', label: 'Active' }, { value: 'suspended', label: 'Suspended' }];
const tiers = [
  { value: '', label: 'Any tier' }, { value: 'free', label: 'Free' }, { value: 'pro', label: 'Pro' },
  { value: 'team', label: 'Team' }, { value: 'enterprise', label: 'Enterprise' },
];
const sorts = [
  { value: 'email', label: 'Email' }, { value: 'name', label: 'Name' }, { value: 'last_active', label: 'Last active' },
  { value: 'spend', label: 'Spend' }, { value: 'created', label: 'Created' },
];
const directions = [{ value: '', label: 'Default for the sort' }, { value: 'asc', label: 'Ascending' }, { value: 'desc', label: 'Descending' }];
const pageSizes = [25, 50, 100, 200];
const filterKeys = ['search', 'status', 'tier', 'activeSince', 'sort', 'direction', 'limit'];
const defaults = { search: '', status: '', tier: '', activeSince: '', sort: 'email', direction: '', limit: '25' };
const SEARCH_DELAY_MS = 300;

/** The filters in the page's address (?search=&status=...); anything else is left to the server to judge. */
function initialFilters() {
  const search = new URLSearchParams(location.search);
  return Object.fromEntries(filterKeys.map(key => [key, search.get(key) ?? defaults[key]]));
}

function keepInAddress(filters) {
  const changed = Object.entries(filters).filter(([key, value]) => value !== defaults[key]);
  const query = new URLSearchParams(changed).toString();
  history.replaceState(null, '', query ? `${location.pathname}?${query}` : location.pathname);
}

const relative = new Intl.RelativeTimeFormat('en-US', { numeric: 'auto' });
const steps = [['year', 31_536_000], ['month', 2_592_000], ['week', 604_800], ['day', 86_400], ['hour', 3_600], ['minute', 60]];

/** "5 minutes ago", with the exact instant in a <time> element. */
function Ago({ value, never = 'Never' }) {
  if (!value) return html`<span class="muted">${never}</span>`;
  const seconds = (Date.parse(value) - Date.now()) / 1000;
  const [unit, size] = steps.find(([, s]) => Math.abs(seconds) >= s) ?? ['second', 1];
  return html`<time datetime=${value} title=${when(value)}>${relative.format(Math.round(seconds / size), unit)}</time>`;
}

const who = user => user.email ?? user.displayName ?? user.userId;

function Stats({ stats }) {
  if (stats.error) return html`<${ErrorMessage} error=${stats.error} />`;
  if (!stats.data) return html`<${Busy} label="Loading stats…" />`;
  const s = stats.data;
  const month = new Date(s.monthStart).toLocaleDateString('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' });
  return html`<${Cards} label="User stats" items=${[
    { label: 'Total users', value: number(s.totalUsers) },
    { label: 'Active (7 days)', value: number(s.activeUsers7d), hint: 'Made a request in the last 7 days' },
    { label: 'New this month', value: number(s.newUsersThisMonth), hint: month },
    { label: 'Suspended', value: number(s.suspendedUsers) },
    { label: 'Spend this month', value: money(s.spendThisMonth), hint: month },
  ]} />
  <p class="muted">Figures as of ${when(s.asOf)}; months are UTC calendar months.</p>`;
}

export default function ThinkTankUsers() {
  const [filters, setFilters] = useState(initialFilters);
  const [searchText, setSearchText] = useState(filters.search);
  const pager = usePager();
  const stats = useLoad(signal => api('/api/admin/thinktank/users/stats', { signal }), []);
  const query = { search: filters.search, status: filters.status, tier: filters.tier, activeSince: filters.activeSince, sort: filters.sort, direction: filters.direction };
  const list = useLoad(
    signal => api('/api/admin/thinktank/users', { params: { ...query, cursor: pager.cursor, limit: filters.limit }, signal }),
    [...filterKeys.map(key => filters[key]), pager.cursor]);
  const [pending, setPending] = useState(null); // the user id an action is under way for
  const [notice, setNotice] = useState('');
  const [actionError, setActionError] = useState(null);

  // A change of filter starts again from the first page: a cursor belongs to its query (and the server says so).
  const change = key => value => {
    setFilters(f => {
      const next = { ...f, [key]: value };
      keepInAddress(next);
      return next;
    });
    pager.reset();
  };
  // The list follows the search box as the reader types, once they pause.
  useEffect(() => {
    if (searchText === filters.search) return undefined;
    const timer = setTimeout(() => change('search')(searchText), SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [searchText]);
  const submitSearch = event => {
    event.preventDefault();
    if (searchText !== filters.search) change('search')(searchText);
  };

  const act = async (user, action) => {
    if (action === 'suspend' && !confirm(`Suspend ${who(user)}? Every request of theirs is refused until an admin reactivates them.`)) return;
    setPending(user.userId);
    setNotice('');
    setActionError(null);
    try {
      const updated = await api(`/api/admin/thinktank/users/${user.userId}/${action}`, { method: 'POST' });
      list.setData(d => ({ ...d, items: d.items.map(u => (u.userId === updated.userId ? updated : u)) }));
      setNotice(`${action === 'suspend' ? 'Suspended' : 'Reactivated'} ${who(updated)}.`);
      stats.reload();
    } catch (e) {
      setActionError(e);
    } finally {
      setPending(null);
    }
  };

  const error = list.error;
  const sizes = pageSizes.map(String).includes(filters.limit) ? pageSizes.map(String) : [filters.limit, ...pageSizes.map(String)];
  const exportHref = url('/api/admin/thinktank/users/export', query);

  const actions = u => {
    const busy = pending === u.userId;
    return u.status === 'suspended'
      ? html`<button type="button" class="secondary" disabled=${pending !== null} onClick=${() => act(u, 'reactivate')}
          aria-label=${`Reactivate ${who(u)}`}>${busy ? 'Reactivating…' : 'Reactivate'}</button>`
      : html`<button type="button" class="danger" disabled=${pending !== null} onClick=${() => act(u, 'suspend')}
          aria-label=${`Suspend ${who(u)}`}>${busy ? 'Suspending…' : 'Suspend'}</button>`;
  };

  return html`
    <h2>Overview</h2>
    <${Stats} stats=${stats} />
    <h2>Users</h2>
    <form class="toolbar" role="search" aria-label="Find users" onSubmit=${submitSearch} novalidate>
      <${Input} label="Search" name="search" type="search" hint="Start of an email or name" value=${searchText} onValue=${setSearchText} error=${error} />
      <${Select} label="Status" name="status" value=${filters.status} onValue=${change('status')} options=${statuses} error=${error} />
      <${Select} label="Tier" name="tier" value=${filters.tier} onValue=${change('tier')} options=${tiers} error=${error} />
      <${Input} label="Active since" name="activeSince" type="date" value=${filters.activeSince} onValue=${change('activeSince')} error=${error} />
      <${Select} label="Sort by" name="sort" value=${filters.sort} onValue=${change('sort')} options=${sorts} error=${error} />
      <${Select} label="Order" name="direction" value=${filters.direction} onValue=${change('direction')} options=${directions} error=${error} />
      <${Select} label="Rows per page" name="limit" value=${filters.limit} onValue=${change('limit')} error=${error}
        options=${sizes.map(s => ({ value: s, label: s }))} />
    </form>
    <div class="toolbar">
      ${error
        ? html`<span class="muted">Export: fix the filters first.</span>`
        : html`<a class="button secondary" href=${exportHref} download>Export CSV</a>`}
    </div>
    <${Notice}>${notice}<//>
    <${ErrorMessage} error=${actionError ?? error} />
    ${list.loading ? html`<${Busy} label="Loading users…" />` : null}
    ${list.data && !error ? html`
      <${Table} caption="Think Tank users" rows=${list.data.items} rowKey=${u => u.userId} empty="No user matches these filters." columns=${[
        { key: 'email', label: 'Email', render: u => html`<strong>${u.email ?? '—'}</strong><br /><span class="muted">ID ${u.userId.slice(0, 8)}…</span>` },
        { key: 'displayName', label: 'Name', render: u => u.displayName ?? '—' },
        { key: 'tier', label: 'Tier', render: u => (u.tier ? html`<span class="badge">${u.tier}</span>` : html`<span class="muted">None</span>`) },
        { key: 'status', label: 'Status', render: u => html`<span class=${`badge ${u.status === 'suspended' ? 'down' : 'up'}`}>${u.status === 'suspended' ? 'Suspended' : 'Active'}</span>` },
        { key: 'requests', label: 'Requests', numeric: true, render: u => html`${number(u.requests)}${u.failedRequests ? html`<br /><span class="muted">${number(u.failedRequests)} failed</span>` : null}` },
        { key: 'totalTokens', label: 'Tokens', numeric: true, render: u => number(u.totalTokens) },
        { key: 'spend', label: 'Spend', numeric: true, render: u => money(u.spend) },
        { key: 'lastActiveAt', label: 'Last active', render: u => html`<${Ago} value=${u.lastActiveAt} />` },
        { key: 'createdAt', label: 'Created', render: u => html`<${Ago} value=${u.createdAt} />` },
        { key: 'actions', label: 'Actions', render: actions },
      ]} />
      <${Pager} pager=${pager} nextCursor=${list.data.nextCursor} label="User pages" />` : null}`;
}
