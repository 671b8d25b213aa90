//! Dashboard logins: officers' password hashes, failed attempts and lock-out, and sessions
//! (stored as a hash of the cookie token).

use sqlx::Row;

use super::{Result, Store, Timestamp};

/// An officer who may log in, as the login needs them.
#[derive(Debug, Clone, PartialEq)]
pub struct LoginOfficer {
    pub id: i64,
    pub village_id: String,
    pub name: String,
    pub password_hash: Option<String>,
    pub failed_logins: i64,
    pub locked_until: Option<Timestamp>,
}

/// A live session and its officer.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionOfficer {
    pub session_id: i64,
    pub officer_id: i64,
    pub village_id: String,
    pub name: String,
    pub roles: String,
    pub csrf_token: String,
    pub resident_id: Option<i64>,
    pub wa_id: Option<String>,
}

impl Store {
    /// Active officers with this WhatsApp number or business-scoped id, in every village.
    pub async fn login_officers(&self, login: &str) -> Result<Vec<LoginOfficer>> {
        let mut tx = self.begin().await?;
        let rows = on_conn!(&mut tx, |c| {
            let rows = sqlx::query(
                "select id, village_id, name, password_hash, failed_logins, locked_until
                 from officer where active = $2 and (wa_id = $1 or user_id = $1) order by id",
            )
            .bind(login)
            .bind(true)
            .fetch_all(c)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(LoginOfficer {
                        id: r.try_get("id")?,
                        village_id: r.try_get("village_id")?,
                        name: r.try_get("name")?,
                        password_hash: r.try_get("password_hash")?,
                        failed_logins: r.try_get::<i32, _>("failed_logins").map(i64::from)?,
                        locked_until: r.try_get("locked_until")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()?
        });
        tx.commit().await?;
        Ok(rows)
    }

    /// Take one login attempt for the officer before the password is checked, atomically, so
    /// that parallel guesses cannot run past the limit. An expired lock starts the count again.
    /// The attempt that reaches `max_failures` locks the account until `lock_until` (a correct
    /// password on it still logs in, resetting the count). `None` while locked.
    pub async fn reserve_login_attempt(
        &self,
        officer_id: i64,
        max_failures: i64,
        lock_until: Timestamp,
        now: Timestamp,
    ) -> Result<Option<i64>> {
        let mut tx = self.begin().await?;
        let failures = on_conn!(&mut tx, |c| sqlx::query(
            "update officer set
                 failed_logins = case when locked_until is not null and locked_until <= $2
                                      then 1 else failed_logins + 1 end,
                 locked_until = case
                     when (case when locked_until is not null and locked_until <= $2
                                then 1 else failed_logins + 1 end) >= $3 then $4
                     when locked_until is not null and locked_until <= $2 then null
                     else locked_until end
             where id = $1 and (locked_until is null or locked_until <= $2)
             returning failed_logins"
        )
        .bind(officer_id)
        .bind(now)
        .bind(max_failures as i32)
        .bind(lock_until)
        .fetch_optional(c)
        .await?
        .map(|r| r.try_get::<i32, _>("failed_logins").map(i64::from))
        .transpose()?);
        tx.commit().await?;
        Ok(failures)
    }

    /// A successful login: reset the failures and open a session.
    #[allow(clippy::too_many_arguments)]
    pub async fn open_session(
        &self,
        officer: &LoginOfficer,
        token_hash: &str,
        csrf_token: &str,
        user_agent: Option<&str>,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        on_conn!(&mut tx, |c| sqlx::query(
            "update officer set failed_logins = 0, locked_until = null where id = $1"
        )
        .bind(officer.id)
        .execute(c)
        .await?
        .rows_affected());
        let id = on_conn!(&mut tx, |c| sqlx::query(
            "insert into officer_session (village_id, officer_id, token_hash, csrf_token,
                 created_at, last_seen_at, expires_at, user_agent)
             values ($1, $2, $3, $4, $5, $5, $6, $7) returning id"
        )
        .bind(&officer.village_id)
        .bind(officer.id)
        .bind(token_hash)
        .bind(csrf_token)
        .bind(now)
        .bind(expires_at)
        .bind(user_agent)
        .fetch_one(c)
        .await?
        .try_get::<i64, _>("id")?);
        tx.commit().await?;
        Ok(id)
    }

    /// The session with this token hash, if it is live and its officer still active. Seeing it
    /// keeps it alive (`last_seen_at`).
    pub async fn session(
        &self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<SessionOfficer>> {
        let mut tx = self.begin().await?;
        let row = on_conn!(&mut tx, |c| {
            let row = sqlx::query(
                "select s.id as session_id, o.id as officer_id, o.village_id, o.name, o.roles,
                        s.csrf_token, o.wa_id,
                        (select res.id from resident res
                          where res.village_id = o.village_id
                            and ((o.wa_id is not null and res.wa_id = o.wa_id)
                              or (o.user_id is not null and res.user_id = o.user_id))
                          order by res.id limit 1) as resident_id
                 from officer_session s join officer o on o.id = s.officer_id
                 where s.token_hash = $1 and s.expires_at > $2 and o.active = $3",
            )
            .bind(token_hash)
            .bind(now)
            .bind(true)
            .fetch_optional(c)
            .await?;
            match row {
                Some(r) => Some(SessionOfficer {
                    session_id: r.try_get("session_id")?,
                    officer_id: r.try_get("officer_id")?,
                    village_id: r.try_get("village_id")?,
                    name: r.try_get("name")?,
                    roles: r.try_get("roles")?,
                    csrf_token: r.try_get("csrf_token")?,
                    resident_id: r.try_get("resident_id")?,
                    wa_id: r.try_get("wa_id")?,
                }),
                None => None,
            }
        });
        if let Some(s) = &row {
            on_conn!(&mut tx, |c| sqlx::query(
                "update officer_session set last_seen_at = $2 where id = $1"
            )
            .bind(s.session_id)
            .bind(now)
            .execute(c)
            .await?
            .rows_affected());
        }
        tx.commit().await?;
        Ok(row)
    }

    pub async fn close_session(&self, session_id: i64) -> Result<()> {
        let mut tx = self.begin().await?;
        on_conn!(&mut tx, |c| sqlx::query(
            "delete from officer_session where id = $1"
        )
        .bind(session_id)
        .execute(c)
        .await?
        .rows_affected());
        tx.commit().await?;
        Ok(())
    }

    /// Set (or replace) an officer's dashboard password hash; their sessions end.
    pub async fn set_officer_password(&self, officer_id: i64, hash: &str) -> Result<bool> {
        let mut tx = self.begin().await?;
        let n = on_conn!(&mut tx, |c| sqlx::query(
            "update officer set password_hash = $2, failed_logins = 0, locked_until = null
             where id = $1"
        )
        .bind(officer_id)
        .bind(hash)
        .execute(c)
        .await?
        .rows_affected());
        on_conn!(&mut tx, |c| sqlx::query(
            "delete from officer_session where officer_id = $1"
        )
        .bind(officer_id)
        .execute(c)
        .await?
        .rows_affected());
        tx.commit().await?;
        Ok(n == 1)
    }
}
