//! [`Timestamp`]: a UTC instant stored as `timestamptz` in Postgres and as fixed-width text in
//! SQLite.
//!
//! sqlx's own SQLite encoding of `DateTime<Utc>` varies the number of fraction digits with the
//! value, so stored text would not sort in time order. Here every SQLite value has exactly six
//! fraction digits and a `Z`, so `<`, `>` and `order by` on the column are correct.

use chrono::{DateTime, NaiveDateTime, SubsecRound, TimeZone, Utc};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgTypeInfo, PgValueRef};
use sqlx::sqlite::{SqliteArgumentValue, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Encode, Postgres, Sqlite, Type};

const SQLITE_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// The current time, truncated to microseconds (what both databases keep).
    pub fn now() -> Self {
        Self::from(Utc::now())
    }

    pub fn from_unix_seconds(secs: i64) -> Option<Self> {
        Utc.timestamp_opt(secs, 0).single().map(Self)
    }

    pub fn as_datetime(&self) -> DateTime<Utc> {
        self.0
    }

    pub fn unix_seconds(&self) -> i64 {
        self.0.timestamp()
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(value: DateTime<Utc>) -> Self {
        Self(value.trunc_subsecs(6))
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0.format(SQLITE_FORMAT))
    }
}

impl Type<Postgres> for Timestamp {
    fn type_info() -> PgTypeInfo {
        <DateTime<Utc> as Type<Postgres>>::type_info()
    }
}

impl Encode<'_, Postgres> for Timestamp {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <DateTime<Utc> as Encode<Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Timestamp {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Self(<DateTime<Utc> as Decode<Postgres>>::decode(value)?))
    }
}

impl Type<Sqlite> for Timestamp {
    fn type_info() -> SqliteTypeInfo {
        <String as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <String as Type<Sqlite>>::compatible(ty)
    }
}

impl<'q> Encode<'q, Sqlite> for Timestamp {
    fn encode_by_ref(&self, buf: &mut Vec<SqliteArgumentValue<'q>>) -> Result<IsNull, BoxDynError> {
        <String as Encode<Sqlite>>::encode(self.to_string(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Timestamp {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&str as Decode<Sqlite>>::decode(value)?;
        let naive = NaiveDateTime::parse_from_str(text, SQLITE_FORMAT)
            .map_err(|e| format!("stored timestamp {text:?} is not in {SQLITE_FORMAT}: {e}"))?;
        Ok(Self(Utc.from_utc_datetime(&naive)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_sorts_like_time() {
        let a = Timestamp::from(Utc.timestamp_opt(1_700_000_000, 0).unwrap());
        let b = Timestamp::from(Utc.timestamp_opt(1_700_000_000, 5_000).unwrap());
        let c = Timestamp::from(Utc.timestamp_opt(1_700_000_001, 0).unwrap());
        assert!(a.to_string() < b.to_string());
        assert!(b.to_string() < c.to_string());
        assert_eq!(a.to_string(), "2023-11-14T22:13:20.000000Z");
    }
}
