/**
 * A container image reference as the distribution reference grammar defines it
 * (github.com/distribution/reference, regexp.go): an optional registry host (with port), path
 * components of lower-case alphanumerics joined by `.`, `_`, `__` or dashes, an optional tag
 * (`:` + up to 128 of [\w.-]) and an optional digest (`@sha256:` + 64 hex). Used for a study's
 * trial `image` (REST schema, the Study CRD, the trial job's spec).
 */
const HOST_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const HOST = `${HOST_COMPONENT}(?:\\.${HOST_COMPONENT})*(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const TAG = ':[\\w][\\w.-]{0,127}';
const DIGEST = '@sha256:[a-f0-9]{64}';

export const IMAGE_REFERENCE_PATTERN = `^(?:${HOST}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?:${TAG})?(?:${DIGEST})?$`;

/** Longest reference accepted (the name part is limited to 255 characters by the grammar). */
export const IMAGE_REFERENCE_MAX_LENGTH = 512;
