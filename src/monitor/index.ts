export { MAX_MONITOR_MONTHS, MONITOR_ERRORS, MonitorError, type MonitorErrorCode } from './errors.js';
export { gemeenteMonitor, monitorMonths, percent, type GemeenteMonitor, type MonitorMonth, type MonitorQuery } from './monitor.js';
export { MONITOR_CSV_HEADER, renderMonitorCsv } from './csv.js';
export { renderMonitorPage } from './page.js';
