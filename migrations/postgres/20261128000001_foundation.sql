-- Foundation schema: villages, residents, inbound/outbound messages and their statuses, raw and
-- dead-lettered webhooks, and the tables later features build on (officers, service requests,
-- their status history, attachments). Every table holding village data carries village_id.
-- Timestamps are UTC (timestamptz).

create table village (
    id text primary key,
    name text not null,
    phone_number_id text not null unique,
    ticket_prefix text not null unique,
    created_at timestamptz not null,
    updated_at timestamptz not null
);

create table resident (
    id bigint generated always as identity primary key,
    village_id text not null references village (id),
    -- WhatsApp id (the phone number in international form) when Meta sends one.
    wa_id text,
    -- 2026 business-scoped user id ("BSUID"); a user with a username may have no wa_id at all.
    user_id text,
    username text,
    profile_name text,
    first_seen_at timestamptz not null,
    -- Start of the 24-hour customer service window.
    last_inbound_at timestamptz not null,
    updated_at timestamptz not null,
    unique (village_id, wa_id),
    unique (village_id, user_id),
    check (wa_id is not null or user_id is not null)
);

create table inbound_message (
    id bigint generated always as identity primary key,
    village_id text not null references village (id),
    -- Meta's message id; the unique constraint is what makes delivery exactly-once.
    wamid text not null,
    resident_id bigint references resident (id),
    kind text not null,
    -- Text body, media caption, tapped button/list title or reaction emoji.
    body text,
    -- Id of a tapped button or list row (interactive reply or template quick reply).
    reply_id text,
    media_id text,
    media_mime text,
    media_sha256 text,
    -- The wamid this message replies to (WhatsApp reply context).
    context_wamid text,
    forwarded boolean not null default false,
    latitude double precision,
    longitude double precision,
    -- The message object exactly as received.
    raw_json text not null,
    sent_at timestamptz not null,
    received_at timestamptz not null,
    -- Set by the conversation layer once the message has been handled.
    handled_at timestamptz,
    unique (village_id, wamid)
);
create index inbound_message_resident_idx on inbound_message (village_id, resident_id, id);

create table outbound_message (
    id bigint generated always as identity primary key,
    village_id text not null references village (id),
    resident_id bigint references resident (id),
    -- wa_id or business-scoped id of the recipient.
    recipient text not null,
    kind text not null,
    -- The message body to send (without recipient), as JSON.
    body_json text not null,
    -- queued → sending → sent → delivered → read (→ played); failed is a separate end.
    status text not null,
    wamid text unique,
    attempts integer not null default 0,
    next_attempt_at timestamptz not null,
    error_code integer,
    error_title text,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    sent_at timestamptz,
    delivered_at timestamptz,
    read_at timestamptz,
    failed_at timestamptz
);
create index outbound_message_due_idx on outbound_message (status, next_attempt_at);
create index outbound_message_recipient_idx on outbound_message (village_id, recipient, id);

-- Every status callback received, once per (wamid, status). Kept even when the wamid is not yet
-- known to outbound_message, and folded into it when it becomes known.
create table message_status_event (
    id bigint generated always as identity primary key,
    village_id text not null references village (id),
    wamid text not null,
    status text not null,
    status_at timestamptz not null,
    recipient text,
    error_code integer,
    error_title text,
    raw_json text not null,
    received_at timestamptz not null,
    unique (village_id, wamid, status)
);

-- Webhook content that is acknowledged but not processed: other `field`s (account updates,
-- template status, …) and payloads for a phone number no village owns ("unrouted").
create table webhook_event (
    id bigint generated always as identity primary key,
    village_id text references village (id),
    reason text not null,
    field text not null,
    phone_number_id text,
    raw_json text not null,
    received_at timestamptz not null
);

-- Correctly signed payloads that could not be parsed, kept whole with the parse error.
create table dead_letter (
    id bigint generated always as identity primary key,
    body bytea not null,
    error text not null,
    received_at timestamptz not null
);

create table officer (
    id bigint generated always as identity primary key,
    village_id text not null references village (id),
    name text not null,
    wa_id text,
    user_id text,
    -- Comma-separated roles: operator, sekdes, kades, kurir.
    roles text not null,
    active boolean not null default true,
    password_hash text,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    unique (village_id, wa_id),
    unique (village_id, user_id)
);

create table service_request (
    id bigint generated always as identity primary key,
    village_id text not null references village (id),
    -- Sequence number within the village; the ticket code is prefix + this number.
    ticket_seq integer not null,
    ticket_code text not null,
    resident_id bigint not null references resident (id),
    service_code text not null,
    state text not null,
    -- Name of the person the letter is for (the resident or someone they ask for).
    subject_name text,
    -- The collected fields, as JSON.
    data_json text not null,
    assigned_officer_id bigint references officer (id),
    due_at timestamptz,
    submitted_at timestamptz not null,
    updated_at timestamptz not null,
    closed_at timestamptz,
    unique (village_id, ticket_seq),
    unique (village_id, ticket_code)
);
create index service_request_state_idx on service_request (village_id, state, updated_at);

create table request_status_history (
    id bigint generated always as identity primary key,
    village_id text not null references village (id),
    request_id bigint not null references service_request (id),
    from_state text,
    to_state text not null,
    -- resident, officer or system.
    actor_kind text not null,
    actor_id bigint,
    reason text,
    created_at timestamptz not null
);
create index request_status_history_request_idx on request_status_history (request_id, id);

create table attachment (
    id bigint generated always as identity primary key,
    village_id text not null references village (id),
    request_id bigint references service_request (id),
    inbound_message_id bigint references inbound_message (id),
    -- Which required document this answers (a document key of the service).
    requirement_key text,
    media_id text,
    mime_type text,
    sha256 text,
    file_path text,
    size_bytes bigint,
    created_at timestamptz not null,
    -- Photos of KTP/KK are deleted after verification (retention); the row stays for the audit.
    deleted_at timestamptz
);
