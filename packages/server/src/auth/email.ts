/**
 * The one normal form of an email, used wherever an email is compared, stored as a key or counted:
 * Unicode NFKC (fullwidth `ａ` is `a`, `I` + U+0307 is `İ`), then lower case (`İ` is `i` + U+0307),
 * then NFKC again so the result is stable (normalizing a normal form changes nothing).
 *
 * Lower case is JavaScript's, which does not depend on a locale or on the database's collation
 * (PostgreSQL's `lower()` does). Two spellings that differ only in width, composition or case name
 * one account; letters that merely look alike (`ı` and `i`, Cyrillic `а` and Latin `a`) stay
 * different, as they are different addresses to a mail server too.
 */
export function normalizeEmail(email: string): string {
  return email.normalize('NFKC').toLowerCase().normalize('NFKC').trim();
}
