import { errorMessage } from "@/lib/errors";

/**
 * A refused input's message for a person: the server's first field error ("A tag is lowercase letters…") rather
 * than the raw validation report that tRPC puts in the message of a BAD_REQUEST.
 */
export function inputErrorMessage(error: unknown): string {
  const fieldErrors = (error as { data?: { fieldErrors?: Record<string, string[] | undefined> | null } } | null)?.data
    ?.fieldErrors;
  if (fieldErrors) {
    for (const [field, messages] of Object.entries(fieldErrors)) {
      if (messages?.[0]) return `${field}: ${messages[0]}`;
    }
  }
  return errorMessage(error);
}
