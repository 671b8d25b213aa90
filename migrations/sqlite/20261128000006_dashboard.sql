-- The office dashboard: officers' login sessions and lock-out, and the letters made for
-- requests, numbered per village and year.

-- Failed logins in a row and, after too many, until when logging in is refused.
alter table officer add column failed_logins integer not null default 0;
alter table officer add column locked_until text;

-- A logged-in browser. Only a hash of the cookie's token is stored, so a database leak does not
-- hand out sessions; the CSRF token is per session.
create table officer_session (
    id integer primary key,
    village_id text not null references village (id),
    officer_id bigint not null references officer (id),
    token_hash text not null unique,
    csrf_token text not null,
    created_at text not null,
    last_seen_at text not null,
    expires_at text not null,
    user_agent text
);
create index officer_session_officer_idx on officer_session (officer_id);

-- A letter made for a request. The number is allocated once, atomically, from the village's
-- counter for the year (`letter:2026`), and never reused: (village, year, seq) is unique.
create table letter (
    id integer primary key,
    village_id text not null references village (id),
    request_id bigint not null references service_request (id),
    year integer not null,
    seq integer not null,
    number text not null,
    -- The letter's fields as checked and corrected by the officer, as JSON.
    fields_json text not null,
    -- The rendered letter as it was printed last.
    html text not null,
    created_by bigint references officer (id),
    created_at text not null,
    updated_by bigint references officer (id),
    updated_at text not null,
    unique (village_id, year, seq),
    unique (village_id, number),
    unique (request_id)
);
