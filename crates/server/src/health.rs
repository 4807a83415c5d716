//! `/healthz` (the process answers) and `/readyz` (it can do its job, which
//! means its database answers).

use actix_web::{HttpResponse, get, web};
use serde_json::json;

use crate::startup::AppState;

#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let database = match state.pool.get().await {
        Ok(client) => client
            .simple_query("SELECT 1")
            .await
            .map(|_| ())
            .map_err(|e| e.to_string()),
        Err(error) => Err(error.to_string()),
    };
    match database {
        Ok(()) => HttpResponse::Ok().json(json!({
            "status": "ready",
            "database": "ok",
            "sealing": sealing(&state).await,
        })),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .json(json!({ "status": "unavailable", "database": "unreachable" }))
        }
    }
}

/// How far the sealer is behind, over every organization; null when it
/// cannot be read (readiness is about the database answering, not this).
async fn sealing(state: &AppState) -> serde_json::Value {
    let Ok(client) = state.pool.get().await else {
        return serde_json::Value::Null;
    };
    let now = state.clock.now();
    match usertrail_store::audit::seal::sealing_lag(&client, None).await {
        Ok(lag) => json!({
            "unsealed_events": lag.unsealed,
            "lag_seconds": lag.oldest_unsealed_at.map(|at| (now - at).as_seconds_f64().max(0.0)),
        }),
        Err(error) => {
            tracing::warn!(%error, "sealing lag unavailable");
            serde_json::Value::Null
        }
    }
}
