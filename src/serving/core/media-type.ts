/** A Content-Type header's media type, lower-cased, without parameters (RFC 9110, 8.3.1). */
export function mediaTypeOf(header: string | undefined): string | undefined {
  const type = header?.split(';')[0].trim().toLowerCase();
  return type ? type : undefined;
}
