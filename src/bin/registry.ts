import { apiService } from './api-service';
import { ServiceRegistry } from './services';

/**
 * The services this build can start. Each later service (scheduler, volume, conductor, compute) adds
 * its `register(...)` line here as it lands.
 */
export function defaultRegistry(): ServiceRegistry {
  return new ServiceRegistry().register(apiService);
}
