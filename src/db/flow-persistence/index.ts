export { TypeOrmBackend, type TypeOrmBackendOptions } from './typeorm-backend';
