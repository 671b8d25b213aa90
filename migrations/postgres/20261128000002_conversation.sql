-- Resident conversations, complaints, per-village counters, and what a request needs to be
-- delivered (who it is for, where).

-- One dialogue state per resident; the row is locked while a message is handled so that a
-- burst of messages from one resident is handled one at a time.
create table conversation (
    village_id text not null references village (id),
    resident_id bigint not null references resident (id),
    state_json text not null,
    updated_at timestamptz not null,
    primary key (village_id, resident_id)
);

-- The resident's own identity from their last request for themselves, offered again next time
-- ("pakai data sebelumnya?").
alter table resident add column saved_nik text;
alter table resident add column saved_name text;

-- Atomic per-village sequences: ticket numbers, complaint numbers, letter numbers per year.
create table village_counter (
    village_id text not null references village (id),
    name text not null,
    value bigint not null,
    primary key (village_id, name)
);

create table complaint (
    id bigint generated always as identity primary key,
    village_id text not null references village (id),
    code_seq integer not null,
    code text not null,
    resident_id bigint not null references resident (id),
    body text not null,
    -- baru (new), ditangani (being handled), selesai (closed).
    state text not null,
    created_at timestamptz not null,
    updated_at timestamptz not null,
    closed_at timestamptz,
    unique (village_id, code_seq),
    unique (village_id, code)
);

alter table attachment add column complaint_id bigint references complaint (id);

-- For whom the letter is when not for the resident ("anak", "ibu", …), and the shared location
-- for home delivery.
alter table service_request add column relation text;
alter table service_request add column latitude double precision;
alter table service_request add column longitude double precision;
create index service_request_resident_idx on service_request (village_id, resident_id, id);
