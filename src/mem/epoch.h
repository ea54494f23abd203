/* epoch.h - read sections that never wait, and writers that wait for them.
 *
 * Owns: the process-wide reclamation scheme of the memory manager's
 * published views (docs/ARCHITECTURE.md, "Guest memory at run time").  A
 * reader brackets its use of published data with epoch_read_begin() and
 * epoch_read_end(); a writer publishes new data, then epoch_synchronize()
 * returns once every read section that might still see the old data has
 * ended, after which the old data may be freed, unmapped or closed.
 *
 * Readers: wait-free.  Beginning a section is one load and one store
 * (a full fence) into a record of the thread's own, ending it one store;
 * no lock, no shared counter, never a wait on a writer.  Sections nest.
 * A read section must be short and must not block: no sleeping, no I/O
 * wait, no lock a writer may hold while it synchronizes.
 * Writers: epoch_synchronize() must not be called inside a read section
 * (it would wait for itself: it returns -EDEADLK instead).  It waits only
 * for sections that began before it; new ones do not delay it.
 *
 * Each thread that reads gets a record on its first read section, from a
 * static table (no allocation, so a read never fails); the record is
 * given back when the thread exits.  Threads beyond the table share one
 * overflow counter, which is slower but just as correct.
 * Never: allocates, or knows what the data is.
 */
#ifndef KVMEM_MEM_EPOCH_H
#define KVMEM_MEM_EPOCH_H

#include <stdbool.h>

/* Records in the static table; more reading threads than this at once
 * fall back to the shared overflow counter. */
#define EPOCH_MAX_READERS 1024

void epoch_read_begin(void);
void epoch_read_end(void);
/* True inside a read section of the calling thread. */
bool epoch_in_read(void);
/* Wait until every read section that began before this call has ended.
 * Returns 0, or -EDEADLK when called inside a read section. */
int epoch_synchronize(void);

#endif
