//! Village officers (petugas): their roles, and adding, listing, changing, deactivating and
//! activating them. The server looks officers up on every message, so a change made here (e.g.
//! by `kentongan officer …`) takes effect without a restart.

use std::fmt;

use sqlx::Row;

use super::{Result, Store, StoreError, Timestamp};
use crate::config::VillageConfig;
use crate::domain::phone::{UserId, WaId};

/// What an officer may do. Stored comma-separated in `officer.roles`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// Takes and processes residents' requests at the office.
    Operator,
    /// Sekretaris Desa: approves letters, receives complaints and escalations.
    Sekdes,
    /// Kepala Desa: receives complaints and the last escalations.
    Kades,
    /// Delivers letters to residents' homes.
    Kurir,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Operator, Role::Sekdes, Role::Kades, Role::Kurir];

    /// The stored (and typed) name: `operator`, `sekdes`, `kades`, `kurir`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Operator => "operator",
            Role::Sekdes => "sekdes",
            Role::Kades => "kades",
            Role::Kurir => "kurir",
        }
    }

    /// One of the four role names, case-insensitive, surrounding spaces ignored.
    pub fn parse(text: &str) -> Result<Role, String> {
        let word = text.trim();
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(word))
            .ok_or_else(|| {
                format!(
                    "unknown role {word:?}; valid roles are {}",
                    Role::valid_list()
                )
            })
    }

    /// "operator, sekdes, kades, kurir", for error messages.
    pub fn valid_list() -> String {
        Role::ALL.map(Role::as_str).join(", ")
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::parse(s)
    }
}

/// Comma-separated roles (`"operator,kurir"`, `"Sekdes, Kades"`), each at most once, in the
/// order given. At least one is required.
pub fn parse_roles(text: &str) -> Result<Vec<Role>, String> {
    let mut roles = Vec::new();
    for part in text.split(',').filter(|p| !p.trim().is_empty()) {
        let role = Role::parse(part)?;
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    if roles.is_empty() {
        return Err(format!(
            "no role given; give one or more of {} (comma-separated)",
            Role::valid_list()
        ));
    }
    Ok(roles)
}

fn roles_text(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// An officer as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficerRow {
    pub id: i64,
    pub village_id: String,
    pub name: String,
    /// The officer's WhatsApp number (international digits), when known.
    pub wa_id: Option<String>,
    /// The officer's business-scoped user id, when known.
    pub user_id: Option<String>,
    /// Role names as stored (`operator`, `sekdes`, `kades`, `kurir`).
    pub roles: Vec<String>,
    pub active: bool,
    pub on_duty: bool,
}

impl OfficerRow {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.iter().any(|r| r == role.as_str())
    }
}

/// An officer to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOfficer {
    pub village_id: String,
    pub name: String,
    /// At least one of `wa_id` and `user_id` is needed to recognise the officer's messages.
    pub wa_id: Option<WaId>,
    pub user_id: Option<UserId>,
    /// At least one.
    pub roles: Vec<Role>,
}

/// What to change on an officer; `None` keeps the current value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OfficerChange {
    pub name: Option<String>,
    pub wa_id: Option<WaId>,
    pub user_id: Option<UserId>,
    pub roles: Option<Vec<Role>>,
}

impl OfficerChange {
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.wa_id.is_none()
            && self.user_id.is_none()
            && self.roles.is_none()
    }
}

/// Why an officer could not be added or changed.
#[derive(Debug, thiserror::Error)]
pub enum OfficerError {
    #[error("there is no officer #{0}")]
    NotFound(i64),
    #[error("village {0:?} is not recorded in the database")]
    UnknownVillage(String),
    #[error("officer #{existing} already has this number in village {village}{}", inactive_hint(*.existing, *.active))]
    DuplicateNumber {
        existing: i64,
        village: String,
        active: bool,
    },
    #[error("officer #{existing} already has this user id in village {village}{}", inactive_hint(*.existing, *.active))]
    DuplicateUserId {
        existing: i64,
        village: String,
        active: bool,
    },
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn inactive_hint(existing: i64, active: bool) -> String {
    if active {
        String::new()
    } else {
        format!(" (inactive; `kentongan officer activate {existing}` brings them back)")
    }
}

impl From<sqlx::Error> for OfficerError {
    fn from(e: sqlx::Error) -> Self {
        OfficerError::Store(e.into())
    }
}

fn check_name(name: &str) -> Result<String, OfficerError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(OfficerError::Invalid("the officer's name is empty".into()));
    }
    if name.chars().count() > 100 {
        return Err(OfficerError::Invalid(
            "the officer's name is longer than 100 characters".into(),
        ));
    }
    Ok(name.to_string())
}

/// Why a write failed, when it is a constraint the caller should hear about.
enum Refused {
    Unique,
    ForeignKey,
}

fn refused(e: &sqlx::Error) -> Option<Refused> {
    match e {
        sqlx::Error::Database(db) if db.is_unique_violation() => Some(Refused::Unique),
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => Some(Refused::ForeignKey),
        _ => None,
    }
}

const OFFICER_COLUMNS: &str = "id, village_id, name, wa_id, user_id, roles, active, on_duty";

macro_rules! officer_row {
    ($r:expr) => {{
        let r = $r;
        let roles: String = r.try_get("roles")?;
        OfficerRow {
            id: r.try_get("id")?,
            village_id: r.try_get("village_id")?,
            name: r.try_get("name")?,
            wa_id: r.try_get("wa_id")?,
            user_id: r.try_get("user_id")?,
            roles: roles
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            active: r.try_get("active")?,
            on_duty: r.try_get("on_duty")?,
        }
    }};
}

impl Store {
    /// Add an active officer to a village. `roles` are `operator`, `sekdes`, `kades`, `kurir`.
    pub async fn add_officer(
        &self,
        village_id: &str,
        name: &str,
        wa_id: &str,
        roles: &[&str],
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        let now = Timestamp::now();
        let id = on_conn!(&mut tx, |c| {
            sqlx::query(
            "insert into officer (village_id, name, wa_id, roles, active, created_at, updated_at)
             values ($1, $2, $3, $4, $5, $6, $6) returning id"
        )
        .bind(village_id)
        .bind(name)
        .bind(wa_id)
        .bind(roles.join(","))
        .bind(true)
        .bind(now)
        .fetch_one(c)
        .await?
        .try_get::<i64, _>("id")?
        });
        tx.commit().await?;
        Ok(id)
    }

    /// Add an active, on-duty officer, checked: a name, at least one role, a number or user id,
    /// a village recorded in the database, and no other officer of the village with the same
    /// number or user id.
    pub async fn add_officer_full(&self, new: &NewOfficer) -> Result<i64, OfficerError> {
        let name = check_name(&new.name)?;
        if new.roles.is_empty() {
            return Err(OfficerError::Invalid(format!(
                "an officer needs at least one role: {}",
                Role::valid_list()
            )));
        }
        if new.wa_id.is_none() && new.user_id.is_none() {
            return Err(OfficerError::Invalid(
                "an officer needs a WhatsApp number or a business-scoped user id".into(),
            ));
        }
        let wa_id = new.wa_id.as_ref().map(WaId::as_str);
        let user_id = new.user_id.as_ref().map(UserId::as_str);
        let mut tx = self.begin().await?;
        let now = Timestamp::now();
        let inserted = on_conn!(&mut tx, |c| sqlx::query(
            "insert into officer (village_id, name, wa_id, user_id, roles, active, on_duty,
                                  created_at, updated_at)
             values ($1, $2, $3, $4, $5, $6, $6, $7, $7) returning id"
        )
        .bind(&new.village_id)
        .bind(&name)
        .bind(wa_id)
        .bind(user_id)
        .bind(roles_text(&new.roles))
        .bind(true)
        .bind(now)
        .fetch_one(c)
        .await
        .and_then(|row| row.try_get::<i64, _>("id")));
        match inserted {
            Ok(id) => {
                tx.commit().await?;
                Ok(id)
            }
            Err(e) => {
                drop(tx);
                match refused(&e) {
                    Some(Refused::Unique) => Err(self
                        .conflict(&new.village_id, wa_id, user_id, None)
                        .await?
                        .unwrap_or_else(|| e.into())),
                    Some(Refused::ForeignKey) => {
                        Err(OfficerError::UnknownVillage(new.village_id.clone()))
                    }
                    None => Err(e.into()),
                }
            }
        }
    }

    /// The officer holding this number or user id in the village (other than `except`), as the
    /// error to report.
    async fn conflict(
        &self,
        village_id: &str,
        wa_id: Option<&str>,
        user_id: Option<&str>,
        except: Option<i64>,
    ) -> Result<Option<OfficerError>> {
        let mut tx = self.begin().await?;
        let found = on_conn!(&mut tx, |c| {
            let row = sqlx::query(
                "select id, active, wa_id = $2 as same_number from officer
                 where village_id = $1 and (wa_id = $2 or user_id = $3)
                   and ($4 is null or id <> $4)
                 order by id limit 1",
            )
            .bind(village_id)
            .bind(wa_id)
            .bind(user_id)
            .bind(except)
            .fetch_optional(c)
            .await?;
            match row {
                None => None,
                Some(r) => Some((
                    r.try_get::<i64, _>("id")?,
                    r.try_get::<bool, _>("active")?,
                    r.try_get::<Option<bool>, _>("same_number")?
                        .unwrap_or(false),
                )),
            }
        });
        tx.commit().await?;
        Ok(found.map(|(existing, active, same_number)| {
            let village = village_id.to_string();
            if same_number {
                OfficerError::DuplicateNumber {
                    existing,
                    village,
                    active,
                }
            } else {
                OfficerError::DuplicateUserId {
                    existing,
                    village,
                    active,
                }
            }
        }))
    }

    /// Officers by village and id; of one village when `village_id` is given; inactive ones
    /// only with `include_inactive`.
    pub async fn officers(
        &self,
        village_id: Option<&str>,
        include_inactive: bool,
    ) -> Result<Vec<OfficerRow>> {
        let sql = format!(
            "select {OFFICER_COLUMNS} from officer
             where ($1 is null or village_id = $1) and ($2 or active)
             order by village_id, id"
        );
        let mut tx = self.begin().await?;
        let rows = on_conn!(&mut tx, |c| {
            let rows = sqlx::query(&sql)
                .bind(village_id)
                .bind(include_inactive)
                .fetch_all(c)
                .await?;
            rows.iter()
                .map(|r| Ok(officer_row!(r)))
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        tx.commit().await?;
        Ok(rows)
    }

    /// One officer, active or not.
    pub async fn officer(&self, id: i64) -> Result<Option<OfficerRow>> {
        let sql = format!("select {OFFICER_COLUMNS} from officer where id = $1");
        let mut tx = self.begin().await?;
        let row = on_conn!(&mut tx, |c| {
            let row = sqlx::query(&sql).bind(id).fetch_optional(c).await?;
            match row {
                None => None,
                Some(r) => Some(officer_row!(&r)),
            }
        });
        tx.commit().await?;
        Ok(row)
    }

    /// Change an officer's name, number, user id or roles; returns the officer as changed.
    pub async fn update_officer(
        &self,
        id: i64,
        change: &OfficerChange,
    ) -> Result<OfficerRow, OfficerError> {
        let name = change.name.as_deref().map(check_name).transpose()?;
        if change.roles.as_ref().is_some_and(Vec::is_empty) {
            return Err(OfficerError::Invalid(format!(
                "an officer needs at least one role: {}",
                Role::valid_list()
            )));
        }
        let Some(current) = self.officer(id).await? else {
            return Err(OfficerError::NotFound(id));
        };
        if change.is_empty() {
            return Ok(current);
        }
        let wa_id = change.wa_id.as_ref().map(WaId::as_str);
        let user_id = change.user_id.as_ref().map(UserId::as_str);
        let mut tx = self.begin().await?;
        let changed = on_conn!(&mut tx, |c| sqlx::query(
            "update officer set name = coalesce($2, name), wa_id = coalesce($3, wa_id),
                 user_id = coalesce($4, user_id), roles = coalesce($5, roles), updated_at = $6
             where id = $1"
        )
        .bind(id)
        .bind(name.as_deref())
        .bind(wa_id)
        .bind(user_id)
        .bind(change.roles.as_deref().map(roles_text))
        .bind(Timestamp::now())
        .execute(c)
        .await
        .map(|done| done.rows_affected()));
        match changed {
            Ok(0) => return Err(OfficerError::NotFound(id)),
            Ok(_) => tx.commit().await?,
            Err(e) => {
                drop(tx);
                return Err(match refused(&e) {
                    Some(Refused::Unique) => self
                        .conflict(&current.village_id, wa_id, user_id, Some(id))
                        .await?
                        .unwrap_or_else(|| e.into()),
                    _ => e.into(),
                });
            }
        }
        self.officer(id).await?.ok_or(OfficerError::NotFound(id))
    }

    /// Activate or deactivate an officer. An inactive officer is treated like a resident and
    /// receives no officer messages. Returns whether anything changed (`false`: it already was).
    pub async fn set_officer_active(&self, id: i64, active: bool) -> Result<bool, OfficerError> {
        let mut tx = self.begin().await?;
        let before = on_conn!(&mut tx, |c| sqlx::query(
            "select active from officer where id = $1"
        )
        .bind(id)
        .fetch_optional(c)
        .await?
        .map(|row| row.try_get::<bool, _>("active"))
        .transpose()?);
        let Some(before) = before else {
            return Err(OfficerError::NotFound(id));
        };
        if before == active {
            return Ok(false);
        }
        on_conn!(&mut tx, |c| sqlx::query(
            "update officer set active = $2, updated_at = $3 where id = $1"
        )
        .bind(id)
        .bind(active)
        .bind(Timestamp::now())
        .execute(c)
        .await?
        .rows_affected());
        tx.commit().await?;
        Ok(true)
    }

    /// Record villages that are configured but not yet in the database, without changing any
    /// recorded one (unlike [`Store::sync_villages`], which the server runs at start-up). For
    /// commands that run beside a server whose environment they may not share.
    pub async fn record_missing_villages(&self, villages: &[VillageConfig]) -> Result<()> {
        let mut tx = self.begin().await?;
        let now = Timestamp::now();
        for v in villages {
            on_conn!(&mut tx, |c| {
                sqlx::query(
                "insert into village (id, name, phone_number_id, ticket_prefix, created_at, updated_at)
                 values ($1, $2, $3, $4, $5, $5) on conflict do nothing"
            )
            .bind(&v.id)
            .bind(&v.name)
            .bind(crate::config::Settings::routing_number(v))
            .bind(&v.ticket_prefix)
            .bind(now)
            .execute(c)
            .await?
            .rows_affected()
            });
        }
        tx.commit().await
    }

    /// Insert the officers listed in the configuration (`[[village.officers]]`) that the
    /// village does not have yet: none with the same number, user id or name. Existing officers
    /// are never changed, so what was done since with `kentongan officer …` (deactivation, a
    /// new number, other roles) survives restarts. Returns how many were added.
    pub async fn sync_configured_officers(&self, villages: &[VillageConfig]) -> Result<usize> {
        let mut tx = self.begin().await?;
        let now = Timestamp::now();
        let mut added = 0;
        for v in villages {
            let mut added_here = 0;
            for o in &v.officers {
                let checked = o.checked().map_err(|e| {
                    StoreError::Setup(format!("village {:?}: officer {:?}: {e}", v.id, o.name))
                })?;
                let wa_id = checked.wa_id.as_ref().map(WaId::as_str);
                let user_id = checked.user_id.as_ref().map(UserId::as_str);
                let n = on_conn!(&mut tx, |c| {
                    sqlx::query(
                    "insert into officer (village_id, name, wa_id, user_id, roles, active, on_duty,
                                          created_at, updated_at)
                     select $1, $2, $3, $4, $5, $6, $6, $7, $7
                     where not exists (
                         select 1 from officer
                         where village_id = $1
                           and (wa_id = $3 or user_id = $4 or lower(name) = lower($2)))
                     on conflict do nothing"
                )
                .bind(&v.id)
                .bind(o.name.trim())
                .bind(wa_id)
                .bind(user_id)
                .bind(roles_text(&checked.roles))
                .bind(true)
                .bind(now)
                .execute(c)
                .await?
                .rows_affected()
                });
                added_here += n as usize;
            }
            if added_here > 0 {
                tracing::info!(
                    village = %v.id,
                    added = added_here,
                    "configured officers recorded"
                );
            }
            added += added_here;
        }
        tx.commit().await?;
        Ok(added)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_case_insensitively() {
        assert_eq!(Role::parse(" Sekdes ").unwrap(), Role::Sekdes);
        assert_eq!(Role::parse("KURIR").unwrap(), Role::Kurir);
        assert_eq!(
            parse_roles("operator, Kurir,operator").unwrap(),
            vec![Role::Operator, Role::Kurir]
        );
    }

    #[test]
    fn bad_roles_name_the_valid_ones() {
        let err = parse_roles("operator,lurah").unwrap_err();
        assert!(err.contains("\"lurah\""), "{err}");
        assert!(err.contains("operator, sekdes, kades, kurir"), "{err}");
        let err = parse_roles(" , ").unwrap_err();
        assert!(err.contains("no role"), "{err}");
    }
}
