//! The request lifecycle: its states, who may move a request from one to the next, and why a
//! move is refused. Pure: the officer handler, the resident's follow-ups and the dashboard all
//! ask [`plan`] before they touch the database, so the rules live in one place.
//!
//! ```text
//! diajukan ─ambil→ diperiksa ─proses→ diproses ─siap→ menunggu_ttd ─setuju→ siap_antar
//!                     │  ↑                │                                  │      │
//!                 kurang│ │dokumen masuk   kurang                          antar  diambil
//!                     ↓  │                                                    ↓      ↓
//!                  perlu_dokumen                              diantar ─sudah diterima→ diterima → selesai
//! any open state ─tolak→ ditolak        diajukan ─batal (resident)→ dibatalkan
//! ```

use std::fmt;

use crate::catalogue::Signer;

/// Where a request is. Stored as its lowercase name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Submitted by the resident, nobody has looked yet.
    Diajukan,
    /// An officer is checking the data and documents.
    Diperiksa,
    /// Something is missing; waiting for the resident.
    PerluDokumen,
    /// The letter is being made.
    Diproses,
    /// Waiting for the Kades' or Sekdes' signature.
    MenungguTtd,
    /// Ready, to be delivered (or collected).
    SiapAntar,
    /// Out for delivery with a courier.
    Diantar,
    /// The resident confirmed receipt (or collected it at the office).
    Diterima,
    /// Closed after receipt.
    Selesai,
    /// Rejected, with a reason.
    Ditolak,
    /// Cancelled by the resident.
    Dibatalkan,
}

pub const ALL_STATES: [State; 11] = [
    State::Diajukan,
    State::Diperiksa,
    State::PerluDokumen,
    State::Diproses,
    State::MenungguTtd,
    State::SiapAntar,
    State::Diantar,
    State::Diterima,
    State::Selesai,
    State::Ditolak,
    State::Dibatalkan,
];

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Diajukan => "diajukan",
            State::Diperiksa => "diperiksa",
            State::PerluDokumen => "perlu_dokumen",
            State::Diproses => "diproses",
            State::MenungguTtd => "menunggu_ttd",
            State::SiapAntar => "siap_antar",
            State::Diantar => "diantar",
            State::Diterima => "diterima",
            State::Selesai => "selesai",
            State::Ditolak => "ditolak",
            State::Dibatalkan => "dibatalkan",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        ALL_STATES.into_iter().find(|st| st.as_str() == s)
    }

    /// Finished: nothing more can happen to it.
    pub fn is_closed(self) -> bool {
        matches!(self, State::Selesai | State::Ditolak | State::Dibatalkan)
    }

    /// Still the office's work (counts for the queue, deadlines and escalation). A request
    /// waiting for the resident's document is not: the clock is on the resident.
    pub fn is_office_work(self) -> bool {
        !self.is_closed() && !matches!(self, State::PerluDokumen | State::Diterima)
    }

    /// Short Indonesian label for officers and residents.
    pub fn label(self) -> &'static str {
        crate::conversation::texts::state_label(self.as_str())
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an officer's roles allow. Built from the officer's comma-separated roles.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Roles {
    pub operator: bool,
    pub sekdes: bool,
    pub kades: bool,
    pub kurir: bool,
}

impl Roles {
    pub fn parse(roles: &str) -> Roles {
        let mut r = Roles::default();
        for role in roles.split(',').map(|s| s.trim().to_ascii_lowercase()) {
            match role.as_str() {
                "operator" => r.operator = true,
                "sekdes" => r.sekdes = true,
                "kades" => r.kades = true,
                "kurir" => r.kurir = true,
                _ => {}
            }
        }
        r
    }

    /// Checks, processes, rejects, relays: the office's own work.
    pub fn can_process(self) -> bool {
        self.operator || self.sekdes || self.kades
    }

    /// Signs for a service signed by `signer`. The Kades may sign anything; the Sekdes what is
    /// delegated to the Sekdes.
    pub fn can_sign(self, signer: Signer) -> bool {
        self.kades || (self.sekdes && signer == Signer::Sekdes)
    }

    pub fn can_deliver(self) -> bool {
        self.kurir || self.can_process()
    }

    /// Complaints go to the village's leadership.
    pub fn can_handle_complaints(self) -> bool {
        self.kades || self.sekdes
    }

    pub fn names(self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.operator {
            v.push("operator");
        }
        if self.sekdes {
            v.push("sekdes");
        }
        if self.kades {
            v.push("kades");
        }
        if self.kurir {
            v.push("kurir");
        }
        v
    }

    /// How the officer is introduced to residents ("Operator desa", "Sekretaris Desa").
    pub fn title(self) -> &'static str {
        if self.kades {
            "Kepala Desa"
        } else if self.sekdes {
            "Sekretaris Desa"
        } else if self.operator {
            "Petugas desa"
        } else {
            "Kurir desa"
        }
    }
}

/// Something someone wants to do to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// `ambil`: assign to me; a new request is then being checked.
    Take,
    /// `periksa`: back to checking (after the resident sent what was missing).
    Check,
    /// `proses`: the letter is being made.
    Process,
    /// `kurang`: ask the resident for a document.
    NeedDocument,
    /// `siap`: the letter is made; it goes for signature.
    Ready,
    /// `setuju`: the signer approves.
    Approve,
    /// `antar`: hand to a courier.
    Deliver,
    /// `terkirim`: the courier handed it over (the resident still has to confirm).
    Delivered,
    /// `diambil`: the resident collected it at the office.
    Collected,
    /// `tolak`: reject, with a reason.
    Reject,
    /// The resident cancels.
    Cancel,
    /// The resident sent a document while one was missing.
    DocumentSupplied,
    /// The resident confirms receipt.
    ConfirmReceipt,
}

/// Who is acting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Officer(Roles),
    Resident,
}

/// What a step does: the state moves to make in order (possibly none, e.g. taking over a
/// request someone else holds) and whether the actor becomes the assignee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub moves: Vec<(State, State)>,
    pub assign: bool,
}

impl Plan {
    fn one(from: State, to: State) -> Plan {
        Plan {
            moves: vec![(from, to)],
            assign: false,
        }
    }

    /// The state after the plan.
    pub fn end(&self, start: State) -> State {
        self.moves.last().map(|m| m.1).unwrap_or(start)
    }
}

/// Why a step is refused; [`Refusal::explain`] says it in Indonesian.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The request is finished.
    Closed(State),
    /// Not possible from this state; `hint` names what can be done instead.
    WrongState { step: Step, state: State },
    /// The actor's roles do not allow it.
    NotAllowed { step: Step, needs: &'static str },
}

impl Refusal {
    pub fn explain(&self, ticket: &str) -> String {
        match self {
            Refusal::Closed(state) => format!(
                "{ticket} sudah {} — tidak bisa diubah lagi.",
                state.label().to_lowercase()
            ),
            Refusal::WrongState { step, state } => format!(
                "{ticket} sedang *{}*, jadi belum bisa {}. {}",
                state.label().to_lowercase(),
                step_phrase(*step),
                next_hint(*state, ticket)
            ),
            Refusal::NotAllowed { step, needs } => format!(
                "Maaf, {} {ticket} hanya bisa dilakukan oleh {needs}.",
                step_phrase(*step)
            ),
        }
    }
}

fn step_phrase(step: Step) -> &'static str {
    match step {
        Step::Take => "diambil alih",
        Step::Check => "diperiksa ulang",
        Step::Process => "diproses",
        Step::NeedDocument => "diminta dokumen",
        Step::Ready => "ditandai siap",
        Step::Approve => "disetujui",
        Step::Deliver => "diantar",
        Step::Delivered => "ditandai terkirim",
        Step::Collected => "ditandai sudah diambil",
        Step::Reject => "ditolak",
        Step::Cancel => "dibatalkan",
        Step::DocumentSupplied => "menerima dokumen",
        Step::ConfirmReceipt => "dikonfirmasi diterima",
    }
}

/// What can be done next from a state, as a command hint for officers.
pub fn next_hint(state: State, ticket: &str) -> String {
    match state {
        State::Diajukan => format!("Ketik *ambil {ticket}*."),
        State::Diperiksa => format!("Ketik *proses {ticket}* atau *kurang {ticket} …*."),
        State::PerluDokumen => {
            format!("Menunggu dokumen dari warga; ketik *periksa {ticket}* jika sudah lengkap.")
        }
        State::Diproses => format!("Ketik *siap {ticket}* jika surat sudah jadi."),
        State::MenungguTtd => format!("Menunggu *setuju {ticket}* dari penanda tangan."),
        State::SiapAntar => {
            format!("Ketik *antar {ticket} nama kurir* atau *diambil {ticket}*.")
        }
        State::Diantar => format!("Kurir mengetik *terkirim {ticket}* setelah diserahkan."),
        State::Diterima => "Menunggu penutupan.".into(),
        State::Selesai | State::Ditolak | State::Dibatalkan => String::new(),
    }
}

/// Plan `step` on a request in `state`. `signer` is who signs the service's letter.
pub fn plan(step: Step, state: State, actor: Actor, signer: Signer) -> Result<Plan, Refusal> {
    use State::*;
    if state.is_closed() {
        return Err(Refusal::Closed(state));
    }
    let wrong = || Refusal::WrongState { step, state };
    match actor {
        Actor::Resident => match (step, state) {
            (Step::Cancel, Diajukan) => Ok(Plan::one(Diajukan, Dibatalkan)),
            (Step::DocumentSupplied, PerluDokumen) => Ok(Plan::one(PerluDokumen, Diperiksa)),
            (Step::ConfirmReceipt, Diantar) => Ok(Plan {
                moves: vec![(Diantar, Diterima), (Diterima, Selesai)],
                assign: false,
            }),
            (Step::Cancel | Step::DocumentSupplied | Step::ConfirmReceipt, _) => Err(wrong()),
            _ => Err(Refusal::NotAllowed {
                step,
                needs: "petugas desa",
            }),
        },
        Actor::Officer(roles) => {
            let needs_office = Refusal::NotAllowed {
                step,
                needs: "operator, Sekdes atau Kades",
            };
            match step {
                Step::Cancel | Step::DocumentSupplied | Step::ConfirmReceipt => {
                    Err(Refusal::NotAllowed {
                        step,
                        needs: "pemohon sendiri",
                    })
                }
                Step::Approve => {
                    if !roles.can_sign(signer) {
                        return Err(Refusal::NotAllowed {
                            step,
                            needs: match signer {
                                Signer::Kades => "Kepala Desa",
                                Signer::Sekdes => "Sekretaris Desa atau Kepala Desa",
                            },
                        });
                    }
                    match state {
                        MenungguTtd => Ok(Plan::one(MenungguTtd, SiapAntar)),
                        _ => Err(wrong()),
                    }
                }
                Step::Delivered => {
                    if !roles.can_deliver() {
                        return Err(needs_office);
                    }
                    match state {
                        // No state change: the resident's confirmation moves it on.
                        Diantar => Ok(Plan {
                            moves: vec![],
                            assign: false,
                        }),
                        _ => Err(wrong()),
                    }
                }
                _ if !roles.can_process() => Err(needs_office),
                Step::Take => match state {
                    Diajukan => Ok(Plan {
                        moves: vec![(Diajukan, Diperiksa)],
                        assign: true,
                    }),
                    Diperiksa | PerluDokumen | Diproses | MenungguTtd | SiapAntar => Ok(Plan {
                        moves: vec![],
                        assign: true,
                    }),
                    _ => Err(wrong()),
                },
                Step::Check => match state {
                    PerluDokumen => Ok(Plan::one(PerluDokumen, Diperiksa)),
                    Diajukan => Ok(Plan {
                        moves: vec![(Diajukan, Diperiksa)],
                        assign: true,
                    }),
                    _ => Err(wrong()),
                },
                Step::Process => match state {
                    Diperiksa => Ok(Plan::one(Diperiksa, Diproses)),
                    Diajukan => Ok(Plan {
                        moves: vec![(Diajukan, Diperiksa), (Diperiksa, Diproses)],
                        assign: true,
                    }),
                    _ => Err(wrong()),
                },
                Step::NeedDocument => match state {
                    Diajukan => Ok(Plan {
                        moves: vec![(Diajukan, PerluDokumen)],
                        assign: true,
                    }),
                    Diperiksa | Diproses => Ok(Plan::one(state, PerluDokumen)),
                    _ => Err(wrong()),
                },
                Step::Ready => match state {
                    Diproses => Ok(Plan::one(Diproses, MenungguTtd)),
                    _ => Err(wrong()),
                },
                Step::Deliver => match state {
                    SiapAntar => Ok(Plan::one(SiapAntar, Diantar)),
                    _ => Err(wrong()),
                },
                Step::Collected => match state {
                    SiapAntar | Diantar => Ok(Plan {
                        moves: vec![(state, Diterima), (Diterima, Selesai)],
                        assign: false,
                    }),
                    _ => Err(wrong()),
                },
                Step::Reject => match state {
                    Diajukan | Diperiksa | PerluDokumen | Diproses | MenungguTtd => {
                        Ok(Plan::one(state, Ditolak))
                    }
                    _ => Err(wrong()),
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEPS: [Step; 13] = [
        Step::Take,
        Step::Check,
        Step::Process,
        Step::NeedDocument,
        Step::Ready,
        Step::Approve,
        Step::Deliver,
        Step::Delivered,
        Step::Collected,
        Step::Reject,
        Step::Cancel,
        Step::DocumentSupplied,
        Step::ConfirmReceipt,
    ];

    fn operator() -> Actor {
        Actor::Officer(Roles::parse("operator"))
    }

    #[test]
    fn states_round_trip_through_their_names() {
        for s in ALL_STATES {
            assert_eq!(State::parse(s.as_str()), Some(s));
            assert_ne!(s.label(), "Dalam proses", "{s} has no label");
        }
        assert_eq!(State::parse("DIAJUKAN"), None);
        assert_eq!(State::parse(""), None);
    }

    #[test]
    fn closed_states_agree_with_the_store() {
        for s in ALL_STATES {
            assert_eq!(
                s.is_closed(),
                crate::store::CLOSED_STATES.contains(&s.as_str()),
                "{s}"
            );
        }
    }

    #[test]
    fn the_happy_path_with_home_delivery() {
        let kades = Actor::Officer(Roles::parse("kades"));
        let kurir = Actor::Officer(Roles::parse("kurir"));
        let mut state = State::Diajukan;
        for (step, actor) in [
            (Step::Take, operator()),
            (Step::NeedDocument, operator()),
            (Step::DocumentSupplied, Actor::Resident),
            (Step::Process, operator()),
            (Step::Ready, operator()),
            (Step::Approve, kades),
            (Step::Deliver, operator()),
            (Step::Delivered, kurir),
            (Step::ConfirmReceipt, Actor::Resident),
        ] {
            let p = plan(step, state, actor, Signer::Kades)
                .unwrap_or_else(|e| panic!("{step:?} from {state}: {e:?}"));
            if let Some((from, _)) = p.moves.first() {
                assert_eq!(*from, state);
            }
            state = p.end(state);
        }
        assert_eq!(state, State::Selesai);
    }

    #[test]
    fn collected_at_the_office_passes_through_diterima() {
        let p = plan(Step::Collected, State::SiapAntar, operator(), Signer::Kades).unwrap();
        assert_eq!(
            p.moves,
            vec![
                (State::SiapAntar, State::Diterima),
                (State::Diterima, State::Selesai)
            ]
        );
    }

    #[test]
    fn every_closed_state_refuses_every_step() {
        for s in ALL_STATES.into_iter().filter(|s| s.is_closed()) {
            for step in STEPS {
                for actor in [operator(), Actor::Resident] {
                    assert_eq!(
                        plan(step, s, actor, Signer::Kades),
                        Err(Refusal::Closed(s)),
                        "{step:?} on {s}"
                    );
                }
            }
        }
    }

    #[test]
    fn every_move_starts_where_the_request_is_and_chains() {
        let roles = Roles::parse("operator,sekdes,kades,kurir");
        for s in ALL_STATES {
            for step in STEPS {
                for actor in [Actor::Officer(roles), Actor::Resident] {
                    if let Ok(p) = plan(step, s, actor, Signer::Kades) {
                        let mut at = s;
                        for (from, to) in &p.moves {
                            assert_eq!(*from, at, "{step:?} from {s}");
                            assert_ne!(from, to);
                            at = *to;
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_transition_table_is_exactly_this() {
        // Every (from, to) pair any step may produce, for anyone: the lifecycle's edges.
        let roles = Roles::parse("operator,sekdes,kades,kurir");
        let mut edges = std::collections::BTreeSet::new();
        for s in ALL_STATES {
            for step in STEPS {
                for actor in [Actor::Officer(roles), Actor::Resident] {
                    if let Ok(p) = plan(step, s, actor, Signer::Kades) {
                        for (f, t) in p.moves {
                            edges.insert((f.as_str(), t.as_str()));
                        }
                    }
                }
            }
        }
        let expected: std::collections::BTreeSet<_> = [
            ("diajukan", "diperiksa"),
            ("diajukan", "perlu_dokumen"),
            ("diajukan", "ditolak"),
            ("diajukan", "dibatalkan"),
            ("diperiksa", "diproses"),
            ("diperiksa", "perlu_dokumen"),
            ("diperiksa", "ditolak"),
            ("perlu_dokumen", "diperiksa"),
            ("perlu_dokumen", "ditolak"),
            ("diproses", "menunggu_ttd"),
            ("diproses", "perlu_dokumen"),
            ("diproses", "ditolak"),
            ("menunggu_ttd", "siap_antar"),
            ("menunggu_ttd", "ditolak"),
            ("siap_antar", "diantar"),
            ("siap_antar", "diterima"),
            ("diantar", "diterima"),
            ("diterima", "selesai"),
        ]
        .into_iter()
        .collect();
        assert_eq!(edges, expected);
    }

    #[test]
    fn a_courier_only_delivers() {
        let kurir = Actor::Officer(Roles::parse("kurir"));
        for step in [
            Step::Take,
            Step::Process,
            Step::NeedDocument,
            Step::Ready,
            Step::Deliver,
            Step::Collected,
            Step::Reject,
        ] {
            assert!(
                matches!(
                    plan(step, State::Diperiksa, kurir, Signer::Kades),
                    Err(Refusal::NotAllowed { .. })
                ),
                "{step:?}"
            );
        }
        assert!(plan(Step::Delivered, State::Diantar, kurir, Signer::Kades).is_ok());
        assert!(plan(Step::Approve, State::MenungguTtd, kurir, Signer::Kades).is_err());
    }

    #[test]
    fn signatures_follow_the_services_signer() {
        let sekdes = Actor::Officer(Roles::parse("sekdes"));
        let kades = Actor::Officer(Roles::parse("kades"));
        assert!(plan(Step::Approve, State::MenungguTtd, sekdes, Signer::Sekdes).is_ok());
        assert!(plan(Step::Approve, State::MenungguTtd, kades, Signer::Sekdes).is_ok());
        assert!(plan(Step::Approve, State::MenungguTtd, kades, Signer::Kades).is_ok());
        let refused = plan(Step::Approve, State::MenungguTtd, sekdes, Signer::Kades).unwrap_err();
        assert_eq!(
            refused,
            Refusal::NotAllowed {
                step: Step::Approve,
                needs: "Kepala Desa"
            }
        );
        assert!(refused.explain("KLP-0001").contains("Kepala Desa"));
        assert!(plan(
            Step::Approve,
            State::MenungguTtd,
            operator(),
            Signer::Sekdes
        )
        .is_err());
        // Only from awaiting signature.
        assert!(matches!(
            plan(Step::Approve, State::Diproses, kades, Signer::Kades),
            Err(Refusal::WrongState { .. })
        ));
    }

    #[test]
    fn residents_do_only_their_own_steps() {
        for step in [
            Step::Take,
            Step::Process,
            Step::Ready,
            Step::Approve,
            Step::Reject,
            Step::Deliver,
        ] {
            assert!(matches!(
                plan(step, State::Diajukan, Actor::Resident, Signer::Kades),
                Err(Refusal::NotAllowed { .. })
            ));
        }
        assert!(plan(
            Step::Cancel,
            State::Diperiksa,
            Actor::Resident,
            Signer::Kades
        )
        .is_err());
        assert!(plan(Step::Cancel, State::Diajukan, operator(), Signer::Kades).is_err());
        assert!(plan(
            Step::ConfirmReceipt,
            State::SiapAntar,
            Actor::Resident,
            Signer::Kades
        )
        .is_err());
    }

    #[test]
    fn taking_over_keeps_the_state_but_assigns() {
        let p = plan(Step::Take, State::Diproses, operator(), Signer::Kades).unwrap();
        assert!(p.moves.is_empty());
        assert!(p.assign);
        assert!(plan(Step::Take, State::Diantar, operator(), Signer::Kades).is_err());
    }

    #[test]
    fn refusals_explain_what_to_do_next() {
        let r = plan(Step::Ready, State::Diajukan, operator(), Signer::Kades).unwrap_err();
        let text = r.explain("KLP-0042");
        assert!(text.contains("ambil KLP-0042"), "{text}");
        let closed = plan(Step::Reject, State::Selesai, operator(), Signer::Kades).unwrap_err();
        assert!(closed.explain("KLP-0042").contains("tidak bisa diubah"));
    }

    #[test]
    fn roles_parse_forgivingly_and_ignore_unknown_words() {
        let r = Roles::parse(" Operator , KURIR,lurah");
        assert!(r.operator && r.kurir && !r.sekdes && !r.kades);
        assert_eq!(r.names(), vec!["operator", "kurir"]);
        assert_eq!(Roles::parse("").names(), Vec::<&str>::new());
        assert!(!Roles::parse("").can_process());
        assert!(Roles::parse("kades").can_handle_complaints());
        assert!(!Roles::parse("operator").can_handle_complaints());
    }

    #[test]
    fn office_work_excludes_waiting_for_the_resident() {
        assert!(State::Diajukan.is_office_work());
        assert!(State::Diantar.is_office_work());
        assert!(!State::PerluDokumen.is_office_work());
        assert!(!State::Selesai.is_office_work());
    }
}
