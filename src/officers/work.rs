//! What officer commands, the resident's answers and the dashboard share: applying a lifecycle
//! step to a stored request (checked by [`crate::requests::plan`], recorded in the history) and
//! telling the resident and the officers concerned, through the outbox.

use crate::catalogue::{Catalogue, Signer};
use crate::config::{OfficerSettings, VillageConfig};
use crate::outbound::OutboundBody;
use crate::requests::{self, Actor, Roles, State, Step};
use crate::store::{About, OfficerBrief, RequestDetail, StoreError, Timestamp, Tx};

use super::texts::{self, ResidentNews};

/// Everything a piece of officer work needs besides the transaction.
pub struct Work<'a> {
    pub village: &'a VillageConfig,
    pub catalogue: &'a Catalogue,
    pub settings: &'a OfficerSettings,
    pub now: Timestamp,
}

/// Who performs a step, as recorded in the history.
#[derive(Debug, Clone, Copy)]
pub enum Doer {
    Officer { id: i64, roles: Roles },
    Resident(i64),
}

impl Doer {
    fn kind(self) -> &'static str {
        match self {
            Doer::Officer { .. } => "officer",
            Doer::Resident(_) => "resident",
        }
    }

    fn id(self) -> i64 {
        match self {
            Doer::Officer { id, .. } => id,
            Doer::Resident(id) => id,
        }
    }

    fn actor(self) -> Actor {
        match self {
            Doer::Officer { roles, .. } => Actor::Officer(roles),
            Doer::Resident(_) => Actor::Resident,
        }
    }
}

/// What came of a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Done; the request is now in this state.
    Moved { from: State, to: State },
    /// Refused, with the explanation for whoever asked.
    Refused(String),
}

impl Work<'_> {
    pub fn service_title(&self, code: &str) -> String {
        self.catalogue
            .all()
            .iter()
            .find(|s| s.code == code)
            .map(|s| s.title.clone())
            .unwrap_or_else(|| code.to_string())
    }

    pub fn signer(&self, code: &str) -> Signer {
        self.catalogue
            .all()
            .iter()
            .find(|s| s.code == code)
            .map(|s| s.signer)
            .unwrap_or(Signer::Kades)
    }

    /// "Senin–Jumat 08.00–15.00"
    pub fn office_hours_text(&self) -> String {
        const DAYS: [&str; 7] = [
            "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu",
        ];
        let h = self.village.office_hours();
        let mut days = h.days.clone();
        days.sort_unstable();
        let name = |d: u32| {
            DAYS.get(d.saturating_sub(1) as usize)
                .copied()
                .unwrap_or("?")
        };
        let contiguous = days.windows(2).all(|w| w[1] == w[0] + 1);
        let day_text = match (days.first(), days.last()) {
            (Some(&a), Some(&b)) if contiguous && a != b => format!("{}–{}", name(a), name(b)),
            _ => days.iter().map(|&d| name(d)).collect::<Vec<_>>().join(", "),
        };
        format!(
            "{day_text} {}–{}",
            h.open.format("%H.%M"),
            h.close.format("%H.%M")
        )
    }

    pub fn local(&self, t: Timestamp) -> chrono::DateTime<chrono::FixedOffset> {
        t.as_datetime().with_timezone(&self.village.time_zone())
    }

    pub fn after(&self, secs: i64) -> Timestamp {
        Timestamp::from(self.now.as_datetime() + chrono::Duration::seconds(secs))
    }
}

/// Apply `step` to `req`: check it against the lifecycle, make the moves (each guarded by the
/// state it leaves, so two officers acting at once cannot both succeed), assign the request to
/// the officer when the step says so, and record `reason`.
pub async fn apply(
    tx: &mut Tx,
    w: &Work<'_>,
    req: &RequestDetail,
    step: Step,
    doer: Doer,
    reason: Option<&str>,
) -> Result<Outcome, StoreError> {
    let Some(state) = State::parse(&req.state) else {
        return Ok(Outcome::Refused(format!(
            "{} berstatus tidak dikenal ({}).",
            req.ticket_code, req.state
        )));
    };
    let plan = match requests::plan(step, state, doer.actor(), w.signer(&req.service_code)) {
        Ok(p) => p,
        Err(refusal) => return Ok(Outcome::Refused(refusal.explain(&req.ticket_code))),
    };
    let mut at = state;
    for (from, to) in &plan.moves {
        let moved = tx
            .transition_request(
                &w.village.id,
                req.id,
                &[from.as_str()],
                to.as_str(),
                doer.kind(),
                Some(doer.id()),
                reason,
                w.now,
            )
            .await?;
        if moved.is_none() {
            return Ok(Outcome::Refused(format!(
                "{} baru saja diubah oleh orang lain. Ketik *lihat {}* untuk status terbaru.",
                req.ticket_code, req.ticket_code
            )));
        }
        at = *to;
    }
    if plan.assign {
        if let Doer::Officer { id, .. } = doer {
            tx.assign_request(&w.village.id, req.id, id, w.now).await?;
        }
    }
    Ok(Outcome::Moved {
        from: state,
        to: at,
    })
}

/// A message body as the outbox stores it: checked against WhatsApp's limits (a body over a
/// limit is our bug; it is cut down to plain text rather than lost).
pub fn encode(body: &OutboundBody) -> (&'static str, String) {
    let body = match body.validate() {
        Ok(()) => body.clone(),
        Err(e) => {
            tracing::error!(error = %e, kind = body.kind(), "message breaks a WhatsApp limit; sending plain text");
            OutboundBody::text(crate::conversation::dialogue::truncate(
                &body.preview(),
                crate::outbound::message::MAX_TEXT_BODY,
            ))
        }
    };
    // A plain enum of strings always serialises.
    let json = serde_json::to_string(&body).unwrap_or_default();
    (body.kind(), json)
}

/// Queue a message to the request's resident.
pub async fn to_resident(
    tx: &mut Tx,
    w: &Work<'_>,
    req: &RequestDetail,
    body: &OutboundBody,
    purpose: &str,
) -> Result<(), StoreError> {
    let Some(recipient) = req.resident_recipient.as_deref() else {
        tracing::warn!(ticket = %req.ticket_code, "resident has no WhatsApp id; not told");
        return Ok(());
    };
    let (kind, json) = encode(body);
    tx.enqueue_about(
        &w.village.id,
        Some(req.resident_id),
        recipient,
        kind,
        purpose,
        &json,
        About {
            resident_id: Some(req.resident_id),
            request_id: Some(req.id),
            complaint_id: None,
        },
        w.now,
    )
    .await?;
    Ok(())
}

/// Queue a message to one officer.
pub async fn to_officer(
    tx: &mut Tx,
    w: &Work<'_>,
    officer: &OfficerBrief,
    body: &OutboundBody,
    about: About,
) -> Result<bool, StoreError> {
    let Some(recipient) = officer.recipient.as_deref() else {
        return Ok(false);
    };
    let (kind, json) = encode(body);
    tx.enqueue_about(
        &w.village.id,
        officer.resident_id,
        recipient,
        kind,
        "officer_alert",
        &json,
        about,
        w.now,
    )
    .await?;
    Ok(true)
}

/// Queue a message to every active officer `pick` chooses (not `except`); returns how many.
pub async fn to_officers(
    tx: &mut Tx,
    w: &Work<'_>,
    pick: impl Fn(&OfficerBrief, Roles) -> bool,
    except: Option<i64>,
    body: &OutboundBody,
    about: About,
) -> Result<usize, StoreError> {
    let officers = tx.village_officers(&w.village.id).await?;
    let mut sent = 0;
    for o in officers
        .iter()
        .filter(|o| Some(o.id) != except && pick(o, Roles::parse(&o.roles)))
    {
        if to_officer(tx, w, o, body, about).await? {
            sent += 1;
        }
    }
    Ok(sent)
}

/// Tell the resident (and, for a signature, the signers) what a move means.
pub async fn announce(
    tx: &mut Tx,
    w: &Work<'_>,
    req: &RequestDetail,
    from: State,
    to: State,
    reason: Option<&str>,
    actor: Option<i64>,
) -> Result<(), StoreError> {
    let title = w.service_title(&req.service_code);
    let ticket = req.ticket_code.as_str();
    let hours = w.office_hours_text();
    let signer = match w.signer(&req.service_code) {
        Signer::Kades => "Kepala Desa",
        Signer::Sekdes => "Sekretaris Desa",
    };
    let news = match to {
        State::Diperiksa if from == State::PerluDokumen => Some(ResidentNews::DocumentReceived),
        State::Diperiksa => Some(ResidentNews::Checking),
        State::PerluDokumen => Some(ResidentNews::NeedDocument {
            reason: reason.unwrap_or("kelengkapan dokumen"),
        }),
        State::Diproses => Some(ResidentNews::Processing),
        State::MenungguTtd => Some(ResidentNews::AwaitingSignature { signer }),
        State::SiapAntar => Some(ResidentNews::Ready {
            collect: req.delivery_method == "ambil",
            office_hours: &hours,
        }),
        State::Ditolak => Some(ResidentNews::Rejected {
            reason: reason.unwrap_or("-"),
        }),
        _ => None,
    };
    if let Some(news) = news {
        let purpose = if to == State::SiapAntar {
            "delivery_notice"
        } else {
            "status_update"
        };
        to_resident(
            tx,
            w,
            req,
            &texts::resident_news(ticket, &title, news),
            purpose,
        )
        .await?;
    }
    let about = About {
        resident_id: Some(req.resident_id),
        request_id: Some(req.id),
        complaint_id: None,
    };
    match to {
        State::MenungguTtd => {
            let service_signer = w.signer(&req.service_code);
            let body = OutboundBody::Buttons {
                body: format!(
                    "✍️ *{ticket}* ({title}) atas nama {} menunggu tanda tangan Anda.",
                    req.subject_name.as_deref().unwrap_or("-")
                ),
                buttons: vec![
                    crate::outbound::Button {
                        id: officer_button("setuju", ticket),
                        title: "Setuju".into(),
                    },
                    crate::outbound::Button {
                        id: officer_button("lihat", ticket),
                        title: "Lihat".into(),
                    },
                ],
                header: None,
                footer: None,
            };
            let sent = to_officers(
                tx,
                w,
                |_, roles| roles.can_sign(service_signer),
                actor,
                &body,
                about,
            )
            .await?;
            if sent == 0 {
                tracing::warn!(ticket = %ticket, "no active signer to ask for a signature");
            }
        }
        State::SiapAntar => {
            // Whoever holds the request arranges the delivery.
            if let Some(holder) = req.assigned_officer_id.filter(|id| Some(*id) != actor) {
                let text = format!(
                    "✅ *{ticket}* sudah ditandatangani. Ketik *antar {ticket} nama kurir* atau *diambil {ticket}*."
                );
                to_officers(
                    tx,
                    w,
                    |o, _| o.id == holder,
                    None,
                    &OutboundBody::text(text),
                    about,
                )
                .await?;
            }
        }
        State::Diperiksa if from == State::PerluDokumen => {
            let text = format!(
                "📎 Warga mengirim kelengkapan untuk *{ticket}*. Ketik *lampiran {ticket}* untuk melihatnya."
            );
            let holder = req.assigned_officer_id;
            to_officers(
                tx,
                w,
                |o, roles| match holder {
                    Some(h) => o.id == h,
                    None => roles.operator && o.on_duty,
                },
                None,
                &OutboundBody::text(text),
                about,
            )
            .await?;
        }
        _ => {}
    }
    Ok(())
}

/// Id of a reply button in a message to officers (parsed back by
/// [`super::command::parse_button`]).
pub fn officer_button(verb: &str, ticket: &str) -> String {
    format!("ofc:{verb}:{ticket}")
}
