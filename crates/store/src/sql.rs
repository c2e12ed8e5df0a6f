//! Small helpers shared by the resource modules: error mapping and column decoding.

use chrono::{DateTime, Utc};
use domain::{clock::from_millis, Error};
use sqlx::{any::AnyRow, Row};

/// Turns a database failure into the catalogue's database error, keeping the cause for the log.
pub fn map_db_err(e: sqlx::Error) -> Error {
    Error::database(e)
}

/// Whether a failure is a unique-constraint violation (the caller decides what that means).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    e.as_database_error().is_some_and(|d| d.is_unique_violation())
}

pub(crate) fn text(row: &AnyRow, col: &str) -> Result<String, Error> {
    row.try_get::<String, _>(col).map_err(map_db_err)
}

pub(crate) fn opt_text(row: &AnyRow, col: &str) -> Result<Option<String>, Error> {
    row.try_get::<Option<String>, _>(col).map_err(map_db_err)
}

pub(crate) fn int(row: &AnyRow, col: &str) -> Result<i64, Error> {
    row.try_get::<i64, _>(col).map_err(map_db_err)
}

pub(crate) fn opt_int(row: &AnyRow, col: &str) -> Result<Option<i64>, Error> {
    row.try_get::<Option<i64>, _>(col).map_err(map_db_err)
}

/// Postgres keeps booleans as BOOLEAN, SQLite as INTEGER 0/1.
pub(crate) fn boolean(row: &AnyRow, col: &str) -> Result<bool, Error> {
    match row.try_get::<bool, _>(col) {
        Ok(b) => Ok(b),
        Err(_) => int(row, col).map(|v| v != 0),
    }
}

pub(crate) fn instant(row: &AnyRow, col: &str) -> Result<DateTime<Utc>, Error> {
    int(row, col).map(from_millis)
}

pub(crate) fn opt_instant(row: &AnyRow, col: &str) -> Result<Option<DateTime<Utc>>, Error> {
    opt_int(row, col).map(|v| v.map(from_millis))
}

/// Parses a stored id or other typed value; a failure means corrupt data, not bad input.
pub(crate) fn parsed<T: std::str::FromStr>(row: &AnyRow, col: &str) -> Result<T, Error> {
    let raw = text(row, col)?;
    raw.parse().map_err(|_| Error::internal(format!("stored {col} {raw:?} does not parse")))
}

pub(crate) fn opt_parsed<T: std::str::FromStr>(row: &AnyRow, col: &str) -> Result<Option<T>, Error> {
    match opt_text(row, col)? {
        None => Ok(None),
        Some(raw) => {
            raw.parse().map(Some).map_err(|_| Error::internal(format!("stored {col} {raw:?} does not parse")))
        }
    }
}
