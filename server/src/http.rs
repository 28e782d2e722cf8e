//! The HTTP API (axum), a thin skin over the node loop's calls:
//!
//! | request | does |
//! |---|---|
//! | `PUT /kv/{key}` (body: an integer) | replaces the key's list with that value |
//! | `POST /kv/{key}/append` (body: an integer) | appends the value to the key's list |
//! | `GET /kv/{key}` | the key's list, linearizable (ReadIndex, thesis §6.4) |
//! | `GET /kv/{key}?stale=1` | the list as this node has applied it, at once |
//! | `POST /members` (body: `{"id": 4, "learner": false}`) | adds a node |
//! | `DELETE /members/{id}` | removes a node |
//! | `POST /transfer-leader/{id}` | hands the leadership to a node |
//! | `GET /status` | role, term, leader, commit, applied, configuration, progress |
//!
//! The store is the simulator's: keys are integers below 2^32 - 1, values
//! are integers, and a key holds a list. Key-value requests go to any node
//! (it forwards them to the leader with their client session, see
//! [`crate::node_loop`]); membership changes and transfers are answered by
//! a follower with `307 Temporary Redirect` to the leader's address.

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde::{Deserialize, Serialize};
use sim::kv::{Key, Op, Output};
use tokio::sync::{mpsc, oneshot};

use crate::node_loop::{AdminAction, AdminAnswer, Call, KvAnswer};

/// The router, sending calls to the node loop on `calls`.
pub fn router(calls: mpsc::Sender<Call>) -> Router {
    Router::new()
        .route("/kv/{key}", get(get_kv).put(put_kv))
        .route("/kv/{key}/append", post(append_kv))
        .route("/members", post(add_member))
        .route("/members/{id}", delete(remove_member))
        .route("/transfer-leader/{id}", post(transfer_leader))
        .route("/status", get(status))
        .with_state(calls)
}

type Calls = State<mpsc::Sender<Call>>;

fn bad_request(why: impl Into<String>) -> Response {
    (StatusCode::BAD_REQUEST, format!("{}\n", why.into())).into_response()
}

fn unavailable(why: &str) -> Response {
    (StatusCode::SERVICE_UNAVAILABLE, format!("{why}\n")).into_response()
}

fn parse_key(text: &str) -> Result<Key, String> {
    text.parse::<Key>()
        .map_err(|_| format!("key `{text}`: keys are integers from 0 to {}", Key::MAX - 1))
}

fn parse_value(body: &str) -> Result<u64, String> {
    let text = body.trim();
    text.parse::<u64>().map_err(|_| {
        format!("value `{text}`: values are unsigned 64-bit integers (the simulator's store)")
    })
}

/// Sends a call to the loop and waits for its answer.
async fn ask<T>(
    calls: &mpsc::Sender<Call>,
    call: impl FnOnce(oneshot::Sender<T>) -> Call,
) -> Result<T, Response> {
    let (answer, answered) = oneshot::channel();
    if calls.send(call(answer)).await.is_err() {
        return Err(unavailable("the node is shutting down"));
    }
    answered
        .await
        .map_err(|_| unavailable("the node is shutting down"))
}

#[derive(Serialize)]
struct Written {
    index: u64,
    term: u64,
}

#[derive(Serialize)]
struct Read {
    key: Key,
    values: Vec<u64>,
}

async fn kv(calls: &mpsc::Sender<Call>, op: Op, stale: bool) -> Response {
    let answer = match ask(calls, |answer| Call::Kv { op, stale, answer }).await {
        Ok(answer) => answer,
        Err(response) => return response,
    };
    match answer {
        KvAnswer::Done {
            output: Output::Written,
            entry,
        } => {
            let (index, term) = entry.map_or((0, 0), |e| (e.index.0, e.term.0));
            Json(Written { index, term }).into_response()
        }
        KvAnswer::Done {
            output: Output::Read(values),
            ..
        } => {
            let key = match op {
                Op::Get { key } | Op::Put { key, .. } | Op::Append { key, .. } => key,
            };
            Json(Read { key, values }).into_response()
        }
        KvAnswer::Unknown => (
            StatusCode::GATEWAY_TIMEOUT,
            "no answer in time: the write may or may not have taken effect\n",
        )
            .into_response(),
        KvAnswer::Busy => unavailable("every client session of this node is busy; retry"),
        KvAnswer::Invalid(why) => bad_request(why),
    }
}

#[derive(Deserialize)]
struct ReadParams {
    #[serde(default)]
    stale: Option<String>,
}

async fn get_kv(
    State(calls): Calls,
    Path(key): Path<String>,
    Query(params): Query<ReadParams>,
) -> Response {
    let key = match parse_key(&key) {
        Ok(key) => key,
        Err(why) => return bad_request(why),
    };
    let stale = match params.stale.as_deref() {
        None | Some("0" | "false") => false,
        Some("1" | "true" | "") => true,
        Some(other) => return bad_request(format!("stale=`{other}`: say stale=1 or leave it out")),
    };
    kv(&calls, Op::Get { key }, stale).await
}

async fn put_kv(State(calls): Calls, Path(key): Path<String>, body: String) -> Response {
    match (parse_key(&key), parse_value(&body)) {
        (Ok(key), Ok(value)) => kv(&calls, Op::Put { key, value }, false).await,
        (Err(why), _) | (_, Err(why)) => bad_request(why),
    }
}

async fn append_kv(State(calls): Calls, Path(key): Path<String>, body: String) -> Response {
    match (parse_key(&key), parse_value(&body)) {
        (Ok(key), Ok(value)) => kv(&calls, Op::Append { key, value }, false).await,
        (Err(why), _) | (_, Err(why)) => bad_request(why),
    }
}

#[derive(Deserialize)]
struct NewMember {
    id: u64,
    #[serde(default)]
    learner: bool,
}

async fn admin(calls: &mpsc::Sender<Call>, action: AdminAction, path: &str) -> Response {
    let answer = match ask(calls, |answer| Call::Admin { action, answer }).await {
        Ok(answer) => answer,
        Err(response) => return response,
    };
    match answer {
        AdminAnswer::Accepted { index } => (
            StatusCode::ACCEPTED,
            Json(serde_json::json!({ "index": index })),
        )
            .into_response(),
        AdminAnswer::NotLeader {
            leader_http: Some(leader),
        } => (
            StatusCode::TEMPORARY_REDIRECT,
            [(header::LOCATION, format!("http://{leader}{path}"))],
            format!("not the leader; the leader is at {leader}\n"),
        )
            .into_response(),
        AdminAnswer::NotLeader { leader_http: None } => unavailable("no leader known yet; retry"),
        AdminAnswer::Refused(why) => (StatusCode::CONFLICT, format!("{why}\n")).into_response(),
    }
}

async fn add_member(State(calls): Calls, body: String) -> Response {
    let member: NewMember = match serde_json::from_str(&body) {
        Ok(member) => member,
        Err(err) => {
            return bad_request(format!(
                "body: {err}; expected {{\"id\": 4, \"learner\": false}}"
            ));
        }
    };
    if member.id == 0 || member.id > u64::from(u16::MAX) {
        return bad_request(format!(
            "id {}: node ids run from 1 to {}",
            member.id,
            u16::MAX
        ));
    }
    let action = AdminAction::AddMember {
        id: member.id,
        learner: member.learner,
    };
    admin(&calls, action, "/members").await
}

fn parse_id(text: &str) -> Result<u64, String> {
    text.parse::<u64>()
        .ok()
        .filter(|id| (1..=u64::from(u16::MAX)).contains(id))
        .ok_or_else(|| format!("node `{text}`: node ids run from 1 to {}", u16::MAX))
}

async fn remove_member(State(calls): Calls, Path(id): Path<String>) -> Response {
    match parse_id(&id) {
        Ok(id) => {
            admin(
                &calls,
                AdminAction::RemoveMember { id },
                &format!("/members/{id}"),
            )
            .await
        }
        Err(why) => bad_request(why),
    }
}

async fn transfer_leader(State(calls): Calls, Path(id): Path<String>) -> Response {
    match parse_id(&id) {
        Ok(to) => {
            admin(
                &calls,
                AdminAction::TransferLeader { to },
                &format!("/transfer-leader/{to}"),
            )
            .await
        }
        Err(why) => bad_request(why),
    }
}

async fn status(State(calls): Calls) -> Response {
    match ask(&calls, |answer| Call::Status { answer }).await {
        Ok(report) => Json(report).into_response(),
        Err(response) => response,
    }
}
