import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';

/**
 * Hands a handler's error to Herald's transport unchanged. Nest's default filter would replace
 * it with `{ status: 'error', message }`, losing the class, code and `retriable` flag the
 * transport decides retry or dead letter from. Install with `app.useGlobalFilters(...)`.
 */
@Catch()
export class PassThroughExceptionFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}
