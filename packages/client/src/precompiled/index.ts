/**
 * The checks of every server answer the engine reads, generated at build time: a validator for
 * pages whose CSP forbids generating code (`openFerry({ validator: precompiledProtocolValidator
 * })`), as fast as `compiledValidator`. A schema they were not generated from is interpreted.
 *
 * @module @ferry/client/precompiled
 */
import { precompiledValidator, type Validator } from '../checks.ts';
import { protocolChecks } from './protocol-checks.ts';

export { protocolChecks };

/** `precompiledValidator` over this build's generated checks, interpreting any other schema. */
export const precompiledProtocolValidator: Validator = precompiledValidator(protocolChecks);
