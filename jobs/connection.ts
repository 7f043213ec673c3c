import { Redis } from 'ioredis';

/** BullMQ needs `maxRetriesPerRequest: null` on worker connections, or blocking commands fail under load. */
export function connectRedis(url: string): Redis {
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
}
