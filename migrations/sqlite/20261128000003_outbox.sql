-- The outbox worker: why a message is sent (for the 24-hour window's templates), the message it
-- replies to, the claim lease, and a record of every send attempt.

alter table outbound_message add column purpose text not null default 'reply';
alter table outbound_message add column reply_to text;
-- A claimed row ('sending') whose lease ran out belonged to a worker that died mid-send.
alter table outbound_message add column claimed_until text;

create index outbound_message_pending_idx on outbound_message (village_id, recipient, id)
    where status in ('queued', 'sending');

create table outbound_attempt (
    id integer primary key,
    village_id text not null references village (id),
    outbound_id bigint not null references outbound_message (id),
    attempted_at text not null,
    -- sent, retry, template, failed, paused.
    outcome text not null,
    http_status integer,
    error_code integer,
    error_title text
);
create index outbound_attempt_message_idx on outbound_attempt (outbound_id, id);

-- The claim walks the due queue in id order.
create index outbound_message_queued_idx on outbound_message (id) where status = 'queued';
