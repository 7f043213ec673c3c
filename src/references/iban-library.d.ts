// Types for `iban` 0.0.14, which ships none. A UMD bundle: Node's ESM loader
// exposes it only as a default import (`import IBAN from 'iban'`).
declare module 'iban' {
  interface IbanLibrary {
    /** True for a valid IBAN; spaces and lowercase are accepted (normalised first). */
    isValid(iban: string): boolean;
    electronicFormat(iban: string): string;
    printFormat(iban: string, separator?: string): string;
    toBBAN(iban: string, separator?: string): string;
    fromBBAN(countryCode: string, bban: string): string;
    isValidBBAN(countryCode: string, bban: string): boolean;
  }
  const IBAN: IbanLibrary;
  export default IBAN;
}
