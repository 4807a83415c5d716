//! The organization's settings as an aggregate of their own: which email domains may join,
//! whether people may register themselves, the role newcomers get, and whether the IdP owns
//! the identity fields. Every change is an org event in the append-only `org_events` log,
//! and the `org_settings` projection is the fold of it, like users and groups.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{Actor, Change, DecodeError, FoldError, Role, Source};

/// Whether the identity provider owns userName, name, emails and active.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdpOwnership {
    /// Owned once the organization has a live SCIM token (the default).
    #[default]
    Auto,
    /// Owned, whether or not a SCIM client exists.
    On,
    /// Never owned: admins and users may change these fields too.
    Off,
}

/// What the organization allows, as folded from its log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgSettings {
    pub allow_self_registration: bool,
    pub default_role: Role,
    pub idp_ownership: IdpOwnership,
    /// Lower-case email domains whose verified addresses may join.
    pub allowed_domains: BTreeSet<String>,
}

impl OrgSettings {
    /// Whether a verified `email` may join through the email-domain door.
    pub fn allows_email(&self, email: &str) -> bool {
        email
            .rsplit_once('@')
            .is_some_and(|(_, domain)| self.allowed_domains.contains(&domain.to_lowercase()))
    }

    /// Whether the IdP owns the identity fields, given whether a SCIM token exists.
    pub fn idp_owns_fields(&self, has_scim_client: bool) -> bool {
        match self.idp_ownership {
            IdpOwnership::Auto => has_scim_client,
            IdpOwnership::On => true,
            IdpOwnership::Off => false,
        }
    }
}

/// The organization's settings at a version; version 0 is the defaults, before any event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgState {
    pub version: i64,
    pub settings: OrgSettings,
    pub updated: Option<Change>,
    pub last_event_type: Option<&'static str>,
}

/// What an admin asks of the organization's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgCommand {
    AllowDomain(String),
    DisallowDomain(String),
    /// Change the settings that are given; `None` keeps the current value.
    Configure {
        allow_self_registration: Option<bool>,
        default_role: Option<Role>,
        idp_ownership: Option<IdpOwnership>,
    },
}

/// What happened to the organization's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgEvent {
    DomainAllowed {
        domain: String,
    },
    DomainDisallowed {
        domain: String,
    },
    /// The whole set of scalar settings after the change.
    SettingsChanged {
        allow_self_registration: bool,
        default_role: Role,
        idp_ownership: IdpOwnership,
    },
}

/// A refused org command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrgError {
    /// Not a domain name (400).
    #[error("{0:?} is not an email domain (like example.com)")]
    InvalidDomain(String),
    /// Removing a domain that is not allowed (404).
    #[error("{0} is not an allowed domain of this organization")]
    UnknownDomain(String),
}

/// An org event with the facts the log records about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedOrgEvent {
    pub event_id: Uuid,
    pub version: i64,
    pub occurred_at: OffsetDateTime,
    pub source: Source,
    pub actor: Actor,
    pub event: OrgEvent,
}

impl OrgEvent {
    pub const TYPES: &'static [&'static str] = &[
        "org_domain_allowed",
        "org_domain_disallowed",
        "org_settings_changed",
    ];

    pub fn event_type(&self) -> &'static str {
        match self {
            OrgEvent::DomainAllowed { .. } => "org_domain_allowed",
            OrgEvent::DomainDisallowed { .. } => "org_domain_disallowed",
            OrgEvent::SettingsChanged { .. } => "org_settings_changed",
        }
    }

    pub fn schema_version(&self) -> i16 {
        1
    }

    pub fn payload(&self) -> Value {
        match self {
            OrgEvent::DomainAllowed { domain } | OrgEvent::DomainDisallowed { domain } => {
                json!({ "domain": domain })
            }
            OrgEvent::SettingsChanged {
                allow_self_registration,
                default_role,
                idp_ownership,
            } => json!({
                "allow_self_registration": allow_self_registration,
                "default_role": default_role,
                "idp_ownership": idp_ownership,
            }),
        }
    }

    pub fn decode(
        event_type: &str,
        schema_version: i16,
        payload: Value,
    ) -> Result<Self, DecodeError> {
        if schema_version != 1 {
            return Err(DecodeError::UnknownVersion {
                event_type: event_type.to_owned(),
                schema_version,
            });
        }
        let bad = |error: serde_json::Error| DecodeError::Payload {
            event_type: event_type.to_owned(),
            reason: error.to_string(),
        };
        let domain = || {
            serde_json::from_value::<DomainPayloadV1>(payload.clone())
                .map(|decoded| decoded.domain)
                .map_err(bad)
        };
        match event_type {
            "org_domain_allowed" => Ok(OrgEvent::DomainAllowed { domain: domain()? }),
            "org_domain_disallowed" => Ok(OrgEvent::DomainDisallowed { domain: domain()? }),
            "org_settings_changed" => {
                let settings: SettingsPayloadV1 =
                    serde_json::from_value(payload.clone()).map_err(bad)?;
                Ok(OrgEvent::SettingsChanged {
                    allow_self_registration: settings.allow_self_registration,
                    default_role: settings.default_role,
                    idp_ownership: settings.idp_ownership,
                })
            }
            other => Err(DecodeError::UnknownType(other.to_owned())),
        }
    }
}

#[derive(Deserialize)]
struct DomainPayloadV1 {
    domain: String,
}

#[derive(Deserialize)]
struct SettingsPayloadV1 {
    allow_self_registration: bool,
    default_role: Role,
    idp_ownership: IdpOwnership,
}

/// A domain as stored: trimmed, lower-case, made of DNS labels, with at least one dot.
pub fn parse_domain(value: &str) -> Result<String, OrgError> {
    let domain = value.trim().trim_start_matches('@').to_lowercase();
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    let labels: Vec<&str> = domain.split('.').collect();
    if domain.len() > 253 || labels.len() < 2 || !labels.iter().all(|label| label_ok(label)) {
        return Err(OrgError::InvalidDomain(value.to_owned()));
    }
    Ok(domain)
}

/// The events `command` causes on `settings`; none when nothing would change.
pub fn decide_org(settings: &OrgSettings, command: OrgCommand) -> Result<Vec<OrgEvent>, OrgError> {
    Ok(match command {
        OrgCommand::AllowDomain(domain) => {
            let domain = parse_domain(&domain)?;
            let new = !settings.allowed_domains.contains(&domain);
            new.then_some(OrgEvent::DomainAllowed { domain })
                .into_iter()
                .collect()
        }
        OrgCommand::DisallowDomain(domain) => {
            let domain = parse_domain(&domain)?;
            if !settings.allowed_domains.contains(&domain) {
                return Err(OrgError::UnknownDomain(domain));
            }
            vec![OrgEvent::DomainDisallowed { domain }]
        }
        OrgCommand::Configure {
            allow_self_registration,
            default_role,
            idp_ownership,
        } => {
            let event = OrgEvent::SettingsChanged {
                allow_self_registration: allow_self_registration
                    .unwrap_or(settings.allow_self_registration),
                default_role: default_role.unwrap_or(settings.default_role),
                idp_ownership: idp_ownership.unwrap_or(settings.idp_ownership),
            };
            let mut after = settings.clone();
            apply_settings(&mut after, &event);
            (after != *settings).then_some(event).into_iter().collect()
        }
    })
}

fn apply_settings(settings: &mut OrgSettings, event: &OrgEvent) {
    match event {
        OrgEvent::DomainAllowed { domain } => {
            settings.allowed_domains.insert(domain.clone());
        }
        OrgEvent::DomainDisallowed { domain } => {
            settings.allowed_domains.remove(domain);
        }
        OrgEvent::SettingsChanged {
            allow_self_registration,
            default_role,
            idp_ownership,
        } => {
            settings.allow_self_registration = *allow_self_registration;
            settings.default_role = *default_role;
            settings.idp_ownership = *idp_ownership;
        }
    }
}

/// Folds one recorded org event onto the state before it.
pub fn apply_org(mut state: OrgState, recorded: &RecordedOrgEvent) -> Result<OrgState, FoldError> {
    if recorded.version != state.version + 1 {
        return Err(FoldError::VersionGap {
            previous: state.version,
            found: recorded.version,
        });
    }
    apply_settings(&mut state.settings, &recorded.event);
    state.version = recorded.version;
    state.last_event_type = Some(recorded.event.event_type());
    state.updated = Some(Change {
        at: recorded.occurred_at,
        source: recorded.source,
        actor: recorded.actor.clone(),
    });
    Ok(state)
}

/// The RFC 6902 change from `before` to `after`, over the settings document.
pub fn diff_org(before: &OrgSettings, after: &OrgSettings) -> json_patch::Patch {
    let document = |settings: &OrgSettings| serde_json::to_value(settings).unwrap_or_default();
    json_patch::diff(&document(before), &document(after))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_no_domains_when_one_is_allowed_then_domain_allowed_in_lower_case() {
        let then = decide_org(
            &OrgSettings::default(),
            OrgCommand::AllowDomain("Acme.TEST".into()),
        );
        assert_eq!(
            then,
            Ok(vec![OrgEvent::DomainAllowed {
                domain: "acme.test".into()
            }])
        );
    }

    #[test]
    fn given_an_allowed_domain_when_allowed_again_then_nothing_happens() {
        let mut settings = OrgSettings::default();
        settings.allowed_domains.insert("acme.test".into());
        let then = decide_org(&settings, OrgCommand::AllowDomain("acme.test".into()));
        assert_eq!(then, Ok(vec![]));
        assert!(settings.allows_email("Ada@ACME.test"));
        assert!(!settings.allows_email("ada@evil-acme.test"));
    }

    #[test]
    fn given_no_domains_when_one_is_removed_then_unknown_domain() {
        let then = decide_org(
            &OrgSettings::default(),
            OrgCommand::DisallowDomain("a.test".into()),
        );
        assert_eq!(then, Err(OrgError::UnknownDomain("a.test".into())));
    }

    #[test]
    fn a_value_without_a_dot_or_with_odd_characters_is_not_a_domain() {
        for bad in ["localhost", "a..test", "-a.test", "a b.test", ""] {
            assert!(parse_domain(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn configuring_the_current_values_records_nothing() {
        let same = OrgCommand::Configure {
            allow_self_registration: Some(false),
            default_role: None,
            idp_ownership: Some(IdpOwnership::Auto),
        };
        assert_eq!(decide_org(&OrgSettings::default(), same), Ok(vec![]));
    }

    #[test]
    fn every_org_event_decodes_from_its_type_and_payload() {
        let events = [
            OrgEvent::DomainAllowed {
                domain: "a.test".into(),
            },
            OrgEvent::DomainDisallowed {
                domain: "a.test".into(),
            },
            OrgEvent::SettingsChanged {
                allow_self_registration: true,
                default_role: Role::Viewer,
                idp_ownership: IdpOwnership::Off,
            },
        ];
        for event in events {
            let decoded = OrgEvent::decode(event.event_type(), 1, event.payload());
            assert_eq!(decoded, Ok(event));
        }
    }
}
