//! The builtin functions: argument checks at compile time, evaluation at render time.

use super::context::{write_json, RenderContext};
use super::parse::Ast;
use super::size::{Size, MAX_RENDERED_BYTES};
use super::{Json, TemplateError};
use fake::faker::{address::en::CityName, company::en::CompanyName, lorem::en::Sentence};
use fake::faker::{lorem::en::Word, name::en as name, phone_number::en::PhoneNumber};
use fake::Fake;
use rand::distr::{Alphanumeric, Distribution, Uniform};
use rand::Rng;
use std::fmt::Write;

/// Every builtin name, for "did you mean" suggestions.
pub(crate) const NAMES: &[&str] = &[
    "seq",
    "uuid",
    "now",
    "run_id",
    "random_int",
    "random_float",
    "random_string",
    "one_of",
    "name",
    "first_name",
    "last_name",
    "email",
    "username",
    "phone",
    "company",
    "city",
    "sentence",
    "word",
];

/// `random_string(n)` longer than one rendered value may be is refused when it compiles.
const MAX_STRING_LEN: i64 = MAX_RENDERED_BYTES as i64;

/// An upper bound of the realistic fake data (names, emails, sentences) as text: generous, as
/// the word lists hold nothing near it; only a bound's order of magnitude matters.
const FAKE_TEXT_BYTES: u64 = 256;

/// A builtin call with its arguments checked and pre-digested for rendering.
#[derive(Debug, Clone)]
pub(crate) enum Builtin {
    Seq,
    Uuid,
    Now,
    RunId,
    RandomInt(Uniform<i64>),
    RandomFloat(Uniform<f64>),
    /// The length is a literal, checked against [`MAX_RENDERED_BYTES`] when it compiles; no
    /// builtin takes a size computed at run time. Rendering clamps it to the room the run-time
    /// cap leaves, so that characters past the cap are not even drawn.
    RandomString(usize),
    OneOf(Box<[Json]>),
    Name,
    FirstName,
    LastName,
    Email,
    Username,
    Phone,
    Company,
    City,
    Sentence,
    Word,
}

/// Compiles the builtin `name` called with `args`, or `None` if there is no such builtin.
pub(crate) fn compile(
    name: &str,
    args: &[Ast],
    source: &str,
) -> Option<Result<Builtin, TemplateError>> {
    let nullary = |builtin: Builtin| match args.len() {
        0 => Ok(builtin),
        n => Err(TemplateError::in_expr(
            format!("`{name}` takes no arguments, got {n}"),
            source,
        )),
    };
    Some(match name {
        "seq" => nullary(Builtin::Seq),
        "uuid" => nullary(Builtin::Uuid),
        "now" => nullary(Builtin::Now),
        "run_id" => nullary(Builtin::RunId),
        "name" => nullary(Builtin::Name),
        "first_name" => nullary(Builtin::FirstName),
        "last_name" => nullary(Builtin::LastName),
        "email" => nullary(Builtin::Email),
        "username" => nullary(Builtin::Username),
        "phone" => nullary(Builtin::Phone),
        "company" => nullary(Builtin::Company),
        "city" => nullary(Builtin::City),
        "sentence" => nullary(Builtin::Sentence),
        "word" => nullary(Builtin::Word),
        "random_int" => random_int(args, source),
        "random_float" => random_float(args, source),
        "random_string" => random_string(args, source),
        "one_of" => one_of(args, source),
        _ => return None,
    })
}

fn random_int(args: &[Ast], source: &str) -> Result<Builtin, TemplateError> {
    let [min, max] = arity::<2>("random_int", "(min, max)", args, source)?;
    let int = |arg: &Ast| match arg {
        Ast::Literal(Json::Number(n)) if n.is_i64() => Ok(n.as_i64().unwrap_or_default()),
        other => Err(TemplateError::in_expr(
            format!("`random_int` expects integers, got `{other}`"),
            source,
        )),
    };
    let (min, max) = (int(min)?, int(max)?);
    if min > max {
        return Err(TemplateError::in_expr(
            format!("`random_int` needs min <= max, got {min} > {max}"),
            source,
        ));
    }
    Uniform::new_inclusive(min, max)
        .map(Builtin::RandomInt)
        .map_err(|e| TemplateError::in_expr(format!("`random_int`: {e}"), source))
}

fn random_float(args: &[Ast], source: &str) -> Result<Builtin, TemplateError> {
    let [min, max] = arity::<2>("random_float", "(min, max)", args, source)?;
    let number = |arg: &Ast| match arg {
        Ast::Literal(Json::Number(n)) => Ok(n.as_f64().unwrap_or_default()),
        other => Err(TemplateError::in_expr(
            format!("`random_float` expects numbers, got `{other}`"),
            source,
        )),
    };
    let (min, max) = (number(min)?, number(max)?);
    if min > max {
        return Err(TemplateError::in_expr(
            format!("`random_float` needs min <= max, got {min} > {max}"),
            source,
        ));
    }
    Uniform::new_inclusive(min, max)
        .map(Builtin::RandomFloat)
        .map_err(|e| TemplateError::in_expr(format!("`random_float`: {e}"), source))
}

fn random_string(args: &[Ast], source: &str) -> Result<Builtin, TemplateError> {
    let [len] = arity::<1>("random_string", "(length)", args, source)?;
    match len {
        Ast::Literal(Json::Number(n)) => match n.as_i64() {
            Some(len @ 0..=MAX_STRING_LEN) => Ok(Builtin::RandomString(len as usize)),
            _ => Err(TemplateError::in_expr(
                format!(
                    "`random_string` length must be an integer from 0 to {MAX_STRING_LEN}, got {n}"
                ),
                source,
            )),
        },
        other => Err(TemplateError::in_expr(
            format!("`random_string` expects an integer length, got `{other}`"),
            source,
        )),
    }
}

fn one_of(args: &[Ast], source: &str) -> Result<Builtin, TemplateError> {
    if args.is_empty() {
        return Err(TemplateError::in_expr(
            "`one_of` needs at least one argument",
            source,
        ));
    }
    args.iter()
        .map(|arg| match arg {
            Ast::Literal(value) => Ok(value.clone()),
            other => Err(TemplateError::in_expr(
                format!("`one_of` expects literal values, got `{other}`"),
                source,
            )),
        })
        .collect::<Result<_, _>>()
        .map(Builtin::OneOf)
}

fn arity<'a, const N: usize>(
    name: &str,
    params: &str,
    args: &'a [Ast],
    source: &str,
) -> Result<&'a [Ast; N], TemplateError> {
    args.try_into().map_err(|_| {
        let plural = if N == 1 { "" } else { "s" };
        TemplateError::in_expr(
            format!(
                "`{name}` takes {N} argument{plural} {params}, got {}",
                args.len()
            ),
            source,
        )
    })
}

impl Builtin {
    /// An upper bound of the value written as text.
    pub(crate) fn size(&self) -> Size {
        match self {
            // u64::MAX and i64::MIN have 20 characters.
            Builtin::Seq | Builtin::RandomInt(_) => Size::scalar(20),
            // The longest f64 as printed: -1.7976931348623157e308.
            Builtin::RandomFloat(_) => Size::scalar(24),
            Builtin::Uuid => Size::scalar(36),
            // 2025-01-31T09:15:02.123Z
            Builtin::Now => Size::scalar(24),
            Builtin::RunId => Size::scalar(8),
            Builtin::RandomString(len) => Size::scalar(*len as u64),
            Builtin::OneOf(options) => options
                .iter()
                .map(Size::of_text)
                .fold(Size::default(), Size::max),
            Builtin::Name
            | Builtin::FirstName
            | Builtin::LastName
            | Builtin::Email
            | Builtin::Username
            | Builtin::Phone
            | Builtin::Company
            | Builtin::City
            | Builtin::Sentence
            | Builtin::Word => Size::scalar(FAKE_TEXT_BYTES),
        }
    }

    /// The value as typed JSON, for a field that is exactly this expression.
    pub(crate) fn value(&self, ctx: &mut RenderContext<'_>) -> Json {
        match self {
            Builtin::Seq => Json::from(ctx.seq()),
            Builtin::RandomInt(range) => Json::from(range.sample(&mut ctx.rng)),
            Builtin::RandomFloat(range) => Json::from(range.sample(&mut ctx.rng)),
            Builtin::OneOf(options) => pick(options, ctx).clone(),
            _ => {
                let mut out = String::new();
                self.write(ctx, &mut out);
                Json::String(out)
            }
        }
    }

    /// Appends the value as text, without an intermediate JSON value.
    pub(crate) fn write(&self, ctx: &mut RenderContext<'_>, out: &mut String) {
        let room = ctx.budget.room();
        let rng = &mut ctx.rng;
        // Writing to a String cannot fail.
        let _ = match self {
            Builtin::Seq => write!(out, "{}", ctx.seq()),
            Builtin::RandomInt(range) => write!(out, "{}", range.sample(rng)),
            Builtin::RandomFloat(range) => write!(out, "{}", Json::from(range.sample(rng))),
            Builtin::OneOf(options) => {
                write_json(pick(options, ctx), out);
                Ok(())
            }
            Builtin::Uuid => {
                let id = uuid::Builder::from_random_bytes(rng.random()).into_uuid();
                out.push_str(
                    id.hyphenated()
                        .encode_lower(&mut uuid::Uuid::encode_buffer()),
                );
                Ok(())
            }
            Builtin::Now => write!(
                out,
                "{}",
                humantime::format_rfc3339_millis(std::time::SystemTime::now())
            ),
            Builtin::RunId => {
                out.push_str(run_id());
                Ok(())
            }
            Builtin::RandomString(len) => {
                let take = (*len).min(room);
                out.extend(Alphanumeric.sample_iter(rng).take(take).map(char::from));
                if take < *len {
                    ctx.budget.overflow();
                }
                Ok(())
            }
            Builtin::Name => write!(out, "{}", name::Name().fake_with_rng::<String, _>(rng)),
            Builtin::FirstName => {
                write!(out, "{}", name::FirstName().fake_with_rng::<&str, _>(rng))
            }
            Builtin::LastName => write!(out, "{}", name::LastName().fake_with_rng::<&str, _>(rng)),
            Builtin::Email => {
                person_slug(ctx, ".", out);
                out.push_str("@example.com");
                Ok(())
            }
            Builtin::Username => {
                person_slug(ctx, "_", out);
                Ok(())
            }
            Builtin::Phone => write!(out, "{}", PhoneNumber().fake_with_rng::<String, _>(rng)),
            Builtin::Company => write!(out, "{}", CompanyName().fake_with_rng::<String, _>(rng)),
            Builtin::City => write!(out, "{}", CityName().fake_with_rng::<String, _>(rng)),
            Builtin::Sentence => write!(out, "{}", Sentence(4..10).fake_with_rng::<String, _>(rng)),
            Builtin::Word => write!(out, "{}", Word().fake_with_rng::<&str, _>(rng)),
        };
    }
}

fn pick<'o>(options: &'o [Json], ctx: &mut RenderContext<'_>) -> &'o Json {
    // `options` is never empty (checked at compile time); `get` keeps rendering panic-free anyway.
    let index = ctx.rng.random_range(0..options.len().max(1));
    options.get(index).unwrap_or(&Json::Null)
}

/// `jane{sep}doe{sep}17`: a realistic name made unique by the request's sequence number, since
/// registration endpoints reject duplicates.
fn person_slug(ctx: &mut RenderContext<'_>, sep: &str, out: &mut String) {
    let first: &str = name::FirstName().fake_with_rng(&mut ctx.rng);
    let last: &str = name::LastName().fake_with_rng(&mut ctx.rng);
    for part in [first, last] {
        out.extend(
            part.chars()
                .filter(char::is_ascii_alphanumeric)
                .map(|c| c.to_ascii_lowercase()),
        );
        out.push_str(sep);
    }
    let _ = write!(out, "{}", ctx.seq());
}

#[cfg(test)]
mod tests {
    use crate::template::testing::{error, text};
    use crate::template::Scope;
    use std::collections::BTreeSet;

    #[test]
    fn random_int_stays_within_inclusive_bounds_and_reaches_them() {
        let seen: BTreeSet<i64> = (0..500)
            .map(|seq| text("{{ random_int(-2, 2) }}", seq).parse().unwrap())
            .collect();
        assert_eq!(seen, BTreeSet::from([-2, -1, 0, 1, 2]));
        assert_eq!(text("{{ random_int(7, 7) }}", 0), "7");
        let full = text(
            "{{ random_int(-9223372036854775808, 9223372036854775807) }}",
            0,
        );
        assert!(full.parse::<i64>().is_ok(), "{full}");
    }

    #[test]
    fn random_float_stays_within_bounds() {
        for seq in 0..200 {
            let x: f64 = text("{{ random_float(0.5, 1) }}", seq).parse().unwrap();
            assert!((0.5..=1.0).contains(&x), "{x}");
        }
        assert_eq!(text("{{ random_float(1, 1) }}", 0), "1.0");
    }

    #[test]
    fn random_string_is_alphanumeric_of_the_given_length() {
        let s = text("{{ random_string(12) }}", 3);
        assert_eq!(s.len(), 12);
        assert!(s.chars().all(|c| c.is_ascii_alphanumeric()), "{s}");
        assert_eq!(text("{{ random_string(0) }}", 3), "");
    }

    #[test]
    fn one_of_covers_every_option() {
        let seen: BTreeSet<String> = (0..200)
            .map(|seq| text("{{ one_of('python', \"rust\", 3, true) }}", seq))
            .collect();
        let expected = ["3", "python", "rust", "true"].map(String::from);
        assert_eq!(seen, BTreeSet::from(expected));
    }

    #[test]
    fn uuid_is_a_v4_uuid() {
        let id = text("{{ uuid }}", 1);
        let parsed = uuid::Uuid::parse_str(&id).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        assert_eq!(id, parsed.hyphenated().to_string());
        assert_ne!(text("{{ uuid }}", 2), id);
    }

    #[test]
    fn now_is_rfc3339_utc() {
        let now = text("{{ now }}", 0);
        assert!(now.ends_with('Z'), "{now}");
        humantime::parse_rfc3339(&now).unwrap();
    }

    #[test]
    fn email_and_username_are_realistic_and_unique_per_seq() {
        let email = text("{{ email }}", 17);
        let (local, domain) = email.split_once('@').unwrap();
        assert_eq!(domain, "example.com");
        assert!(local.ends_with(".17"), "{email}");
        assert_eq!(local.split('.').count(), 3, "{email}");
        let username = text("{{ username() }}", 17);
        assert!(username.ends_with("_17"), "{username}");
        assert!(username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_'));
    }

    #[test]
    fn fake_data_builtins_produce_text() {
        for builtin in [
            "name",
            "first_name",
            "last_name",
            "phone",
            "company",
            "city",
            "sentence",
            "word",
        ] {
            let out = text(&format!("{{{{ {builtin}() }}}}"), 5);
            assert!(!out.trim().is_empty(), "{builtin}");
        }
    }

    #[test]
    fn wrong_arguments_are_compile_errors() {
        let scope = Scope::new();
        let cases = [
            (
                "{{ random_int(1) }}",
                "`random_int` takes 2 arguments (min, max), got 1 in `{{ random_int(1) }}`",
            ),
            (
                "{{ random_int(5, 1) }}",
                "`random_int` needs min <= max, got 5 > 1 in `{{ random_int(5, 1) }}`",
            ),
            (
                "{{ random_int('a', 1) }}",
                "`random_int` expects integers, got `'a'` in `{{ random_int('a', 1) }}`",
            ),
            (
                "{{ random_int(1.5, 2) }}",
                "`random_int` expects integers, got `1.5` in `{{ random_int(1.5, 2) }}`",
            ),
            (
                "{{ random_float(2, 1) }}",
                "`random_float` needs min <= max, got 2 > 1 in `{{ random_float(2, 1) }}`",
            ),
            (
                "{{ random_string(-1) }}",
                "`random_string` length must be an integer from 0 to 1048576, got -1 in `{{ random_string(-1) }}`",
            ),
            (
                "{{ random_string(10000000) }}",
                "`random_string` length must be an integer from 0 to 1048576, got 10000000 \
                 in `{{ random_string(10000000) }}`",
            ),
            ("{{ one_of() }}", "`one_of` needs at least one argument in `{{ one_of() }}`"),
            (
                "{{ one_of(seq) }}",
                "`one_of` expects literal values, got `seq` in `{{ one_of(seq) }}`",
            ),
            ("{{ seq(1) }}", "`seq` takes no arguments, got 1 in `{{ seq(1) }}`"),
        ];
        for (input, expected) in cases {
            assert_eq!(error(&scope, input), expected);
        }
    }
}

/// Eight hex digits drawn once per process, outside the seeded streams: seeded data stays
/// reproducible while names built with it stay unique across runs against one server.
fn run_id() -> &'static str {
    static RUN_ID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    RUN_ID.get_or_init(|| format!("{:08x}", rand::random::<u32>()))
}

#[cfg(test)]
mod run_id_tests {
    use super::run_id;

    #[test]
    fn run_id_is_stable_within_a_run() {
        assert_eq!(run_id(), run_id());
        assert_eq!(run_id().len(), 8);
        assert!(run_id().chars().all(|c| c.is_ascii_hexdigit()));
    }
}
