-- Officers at work: who is on duty, who holds a request, deliveries and their confirmation,
-- ratings, escalations of overdue requests, officer–resident relays, and an audit trail of
-- every action that is not a state change (state changes are in request_status_history).

alter table officer add column on_duty boolean not null default true;

alter table service_request add column courier_officer_id bigint references officer (id);
-- 'antar' (home delivery, the default) or 'ambil' (the resident collects at the office).
alter table service_request add column delivery_method text not null default 'antar';
alter table service_request add column approved_by bigint references officer (id);
alter table service_request add column approved_at timestamptz;
alter table service_request add column rating integer;
alter table service_request add column rating_comment text;
-- 0 none, 1 assigned officer told, 2 Sekdes told, 3 Kades told.
alter table service_request add column escalation_level integer not null default 0;
alter table service_request add column escalated_at timestamptz;
create index service_request_due_idx on service_request (village_id, due_at)
    where state not in ('selesai', 'ditolak', 'dibatalkan');

-- The delivery register: one row per delivery run of a request.
create table delivery (
    id bigint generated always as identity primary key,
    village_id text not null references village (id),
    request_id bigint not null references service_request (id),
    courier_officer_id bigint references officer (id),
    assigned_by bigint references officer (id),
    assigned_at timestamptz not null,
    delivered_at timestamptz,
    -- The courier's photo as proof, when sent.
    proof_attachment_id bigint references attachment (id),
    -- 'diterima', 'belum', or null while unanswered.
    confirmation text,
    confirmed_at timestamptz,
    -- When the Sekdes was alerted about a 'belum' or a missing answer.
    alerted_at timestamptz,
    -- 'antar' or 'ambil' (collected at the office, recorded by the officer).
    method text not null default 'antar'
);
create index delivery_request_idx on delivery (request_id, id);
create index delivery_open_idx on delivery (village_id, delivered_at) where confirmation is null;

-- Complaints are answered and closed by the Kades or Sekdes.
alter table complaint add column handled_by bigint references officer (id);
alter table complaint add column response text;

-- While an officer talks with a resident the bot stays quiet: the resident's messages go to
-- that officer until the relay ends or expires. After a delivery the resident may be asked for
-- something (a rating comment); `awaiting` says what.
alter table conversation add column relay_officer_id bigint references officer (id);
alter table conversation add column relay_request_id bigint references service_request (id);
alter table conversation add column relay_complaint_id bigint references complaint (id);
alter table conversation add column relay_until timestamptz;
alter table conversation add column awaiting text;
alter table conversation add column awaiting_request_id bigint references service_request (id);
alter table conversation add column awaiting_until timestamptz;
-- An officer who wants a letter for themselves talks to the resident dialogue until then.
alter table conversation add column personal_until timestamptz;

-- What an outbound message is about, so an officer's quote-reply to a forwarded resident
-- message finds its way back to that resident.
alter table outbound_message add column about_resident_id bigint references resident (id);
alter table outbound_message add column about_request_id bigint references service_request (id);
alter table outbound_message add column about_complaint_id bigint references complaint (id);

-- Who did what, besides state changes: taking a request, assigning a courier, relaying,
-- viewing attachments, escalations, complaint replies.
create table audit_event (
    id bigint generated always as identity primary key,
    village_id text not null references village (id),
    -- resident, officer or system.
    actor_kind text not null,
    actor_id bigint,
    action text not null,
    request_id bigint references service_request (id),
    complaint_id bigint references complaint (id),
    detail text,
    created_at timestamptz not null
);
create index audit_event_request_idx on audit_event (request_id, id);
create index audit_event_complaint_idx on audit_event (complaint_id, id);

-- Once-a-day jobs (the morning summary) remember the local date they last ran for.
create table village_job (
    village_id text not null references village (id),
    name text not null,
    last_run text not null,
    primary key (village_id, name)
);
