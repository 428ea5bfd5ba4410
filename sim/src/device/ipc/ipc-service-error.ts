/**
 * An error the nucleus answers an IPC operation with, by its modelled shape (the SDK client raises the
 * matching error class). A handler throws one to refuse a request the way the nucleus does; any other
 * error a handler throws is answered as a ServiceError.
 */
import { LocalModeError } from '../../errors.ts';

export const IpcErrorShapes = {
  ServiceError: 'ServiceError',
  UnauthorizedError: 'UnauthorizedError',
  ResourceNotFoundError: 'ResourceNotFoundError',
  InvalidArgumentsError: 'InvalidArgumentsError',
} as const;

export type IpcErrorShape = (typeof IpcErrorShapes)[keyof typeof IpcErrorShapes];

export class IpcServiceError extends LocalModeError {
  /** The error shape on the wire, without the `aws.greengrass#` namespace (also the `code`). */
  readonly shape: IpcErrorShape;
  constructor(shape: IpcErrorShape, message: string, options?: { cause?: unknown }) {
    super(shape, message, options);
    this.name = 'IpcServiceError';
    this.shape = shape;
  }
}
