/**
 * What every capability's error catalogue has in common. Each capability lists its codes with the HTTP
 * status a door gives them and a description (docs/errors.md quotes them, a test checks that every code
 * is there); its error class names the catalogue and the title a person sees above the message. The
 * HTTP door maps all of them in one line (src/http/problem.ts).
 */
export interface CatalogueEntry {
  readonly status: number;
  readonly description: string;
}

export type ErrorCatalogue<Code extends string> = Readonly<Record<Code, CatalogueEntry>>;

export abstract class CatalogueError<Code extends string = string> extends Error {
  /** The problem's title: which kind of request was not accepted, in a back-office user's words. */
  abstract readonly title: string;
  protected abstract readonly catalogue: ErrorCatalogue<Code>;

  constructor(
    readonly code: Code,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }

  get status(): number {
    return this.catalogue[this.code].status;
  }
}
