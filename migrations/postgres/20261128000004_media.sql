-- Downloading residents' photos and PDFs from Meta into the data folder.
alter table attachment add column download_attempts integer not null default 0;
alter table attachment add column download_error text;
alter table attachment add column downloaded_at timestamptz;
create index attachment_pending_download_idx on attachment (id) where file_path is null;
