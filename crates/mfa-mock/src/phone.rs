//! Phone numbers: what SMS factors accept and how they store them.
//!
//! Input is normalised to E.164 (`16073517112` and `+1 (607) 351-7112` both
//! become `+16073517112`) and checked with libphonenumber's metadata (the
//! `phonenumber` crate): the country code must exist and the national number
//! must have a length that country uses ("possible" in libphonenumber's
//! terms), so `555-0100` is not taken for a Brazilian number. Numbers of a
//! possible length in unassigned ranges, such as the documents'
//! `+15555555555`, are accepted, as test numbers are.

/// Why a phone number was refused; the caller echoes the input back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct InvalidPhoneNumber;

/// The E.164 form of `input`, or why it is not a phone number.
pub(crate) fn normalise(input: &str) -> Result<String, InvalidPhoneNumber> {
    let compact: String = input
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let digits = compact.strip_prefix('+').unwrap_or(&compact);
    let plausible = (7..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if !plausible {
        return Err(InvalidPhoneNumber);
    }
    let e164 = format!("+{digits}");
    let parsed = phonenumber::parse(None, &e164).map_err(|_| InvalidPhoneNumber)?;
    let national_digits = parsed.national().to_string().len();
    let length = u16::try_from(national_digits).unwrap_or(u16::MAX);
    // Every region sharing the country code (the +1 countries, say) counts:
    // a number in an unassigned range names no region of its own.
    let possible = phonenumber::metadata::DATABASE
        .by_code(&parsed.code().value())
        .is_some_and(|regions| {
            regions
                .iter()
                .any(|meta| possible_lengths(meta).contains(&length))
        });
    if !possible {
        return Err(InvalidPhoneNumber);
    }
    Ok(parsed.format().mode(phonenumber::Mode::E164).to_string())
}

/// The national-number lengths a region's numbers of any dialable type have:
/// libphonenumber's "possible" lengths (the general description lists them
/// only when the types do not).
fn possible_lengths(meta: &phonenumber::Metadata) -> Vec<u16> {
    let kinds = meta.descriptors();
    let typed = [
        kinds.fixed_line(),
        kinds.mobile(),
        kinds.toll_free(),
        kinds.premium_rate(),
        kinds.shared_cost(),
        kinds.personal_number(),
        kinds.voip(),
        kinds.pager(),
        kinds.uan(),
        kinds.voicemail(),
    ];
    std::iter::once(kinds.general())
        .chain(typed.into_iter().flatten())
        .flat_map(|descriptor| descriptor.possible_length().iter().copied())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documents_numbers_are_accepted_as_they_are() {
        assert_eq!(normalise("+15005550006").as_deref(), Ok("+15005550006"));
        assert_eq!(normalise("+15555555555").as_deref(), Ok("+15555555555"));
    }

    #[test]
    fn a_number_without_a_plus_gains_one() {
        assert_eq!(normalise("16073517112").as_deref(), Ok("+16073517112"));
    }

    #[test]
    fn spaces_dashes_and_parentheses_are_dropped() {
        assert_eq!(
            normalise("+1 (607) 351-7112").as_deref(),
            Ok("+16073517112")
        );
        assert_eq!(
            normalise("+44 20 7946 0958").as_deref(),
            Ok("+442079460958")
        );
    }

    #[test]
    fn malformed_numbers_are_refused() {
        for input in [
            "",
            "not-a-phone",
            "+1",
            "123",
            "+0123456789",
            "+1555abc5555",
            "+1234567890123456",
            "555-0100",
            "(500) 555-0006",
            "+1500555000",
        ] {
            assert_eq!(normalise(input), Err(InvalidPhoneNumber), "{input:?}");
        }
    }
}
