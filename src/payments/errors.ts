import { CatalogueError, type ErrorCatalogue } from '../errors.js';
/** The payment module's error catalogue: codes, the HTTP status a door gives them, and what they mean. */
export type PaymentErrorCode =
  | 'invalid_instruction'
  | 'unknown_payment_account'
  | 'batch_not_found'
  | 'batch_not_awaiting_approval'
  | 'batch_not_approved'
  | 'four_eyes'
  | 'already_approved_by_you'
  | 'file_not_valid'
  | 'instruction_not_found'
  | 'not_retryable'
  | 'status_report_not_readable'
  | 'status_report_unknown_file'
  | 'status_report_unknown_payment'
  | 'status_report_conflict'
  | 'status_report_not_found'
  | 'not_refundable'
  | 'payer_unknown'
  | 'already_sent_back'
  | 'refund_gemeente_needed'
  | 'batch_not_released'
  | 'hand_over_reason_required'
  | 'machtiging_not_valid';

export const PAYMENT_ERRORS: ErrorCatalogue<PaymentErrorCode> = {
  invalid_instruction: { status: 422, description: 'A payment instruction cannot be made as given (invalid IBAN, a name that is empty in the bank character set, an amount out of range, …); the message names the field.' },
  unknown_payment_account: { status: 422, description: 'The account to pay from is not set up for payments.' },
  batch_not_found: { status: 404, description: 'There is no payment batch with this id (or you may not see it).' },
  batch_not_awaiting_approval: { status: 409, description: 'The batch is not awaiting approval: already approved, rejected or released, or still being put together by the daily batch.' },
  batch_not_approved: { status: 409, description: 'Only a fully approved batch can be released.' },
  machtiging_not_valid: { status: 409, description: 'Rule 4: a payment in the batch goes to a payee no valid machtiging of the client covers on its execution date (revoked, ended or missing since the payment was made). Nothing was released; the money stays reserved. Reject the batch and issue the payments again once the machtiging is in order.' },
  batch_not_released: { status: 409, description: 'The payment file of a batch is handed out only once the batch is released (four eyes, and the release booked): until then approvers check its SHA-256 in the batch view. A rejected batch\'s file is never handed out.' },
  hand_over_reason_required: { status: 400, description: 'A released file is handed to the bank-upload software once; putting it in the outbox again needs the reason (the bank confirmed it did not receive it), or its payments would go out twice.' },
  four_eyes: { status: 403, description: 'A batch must be approved by an approver who did not create it; above the gemeente\'s amount, by two different approvers.' },
  already_approved_by_you: { status: 409, description: 'You already approved this batch; a second approval must come from someone else.' },
  file_not_valid: { status: 422, description: 'The payment file failed the XSD or a business rule; it is not released. The message names the payment.' },
  instruction_not_found: { status: 404, description: 'There is no payment instruction with this id.' },
  not_retryable: { status: 409, description: 'Only a returned, cancelled or bank-rejected payment can be issued again.' },
  status_report_not_readable: { status: 422, description: 'The file is not a pain.002 status report that can be read (not well-formed, a DTD or entity declaration, another message, a missing field or an unknown status code); the message says what and where. Nothing was changed.' },
  status_report_unknown_file: { status: 422, description: 'The status report is about a payment file (OrgnlMsgId) we never released. Nothing was changed.' },
  status_report_unknown_payment: { status: 422, description: 'The status report names a payment or payment-information block (EndToEndId, PmtInfId) that is not in the file it reports on, or gives another amount for it. Nothing was changed.' },
  status_report_conflict: { status: 409, description: 'A status report with this message id was already received for this file with different content. Nothing was changed.' },
  status_report_not_found: { status: 404, description: 'There is no received status report with this id.' },
  not_refundable: { status: 409, description: 'Only a receipt (a credit) waiting in suspense can be sent back to its payer; a debit is reconciled with our own payments. Nothing was changed.' },
  payer_unknown: { status: 422, description: 'The bank reported no valid IBAN, or no name, for the payer of this receipt, so it cannot be sent back; assign it, or ask the bank who paid. Nothing was changed.' },
  already_sent_back: { status: 409, description: 'The receipt was already sent back (with another reason or remittance, or is on its way); it is not in the open queue. Nothing was changed.' },
  refund_gemeente_needed: { status: 422, description: 'A refund goes out in the batch of a gemeente that pays from the account that received the money: name one (several of yours do), or set up one that does. Nothing was changed.' },
};

export class PaymentError extends CatalogueError<PaymentErrorCode> {
  readonly title = 'Payment not accepted';
  protected readonly catalogue = PAYMENT_ERRORS;
}
