//! Village officers (the officer features build on this; here: adding one and finding them).

use sqlx::Row;

use super::{Result, Store, Timestamp};

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
}
