// Await a promise that must reject with an AppError and hand back that error, so a test can check
// its kind and fatal flag. Any other rejection is rethrown as is; a fulfilment fails the test.
import { AppError } from '../../common/errors';

export async function rejection(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}
