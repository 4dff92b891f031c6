/* A process-shared robust mutex (plain and PTHREAD_PRIO_INHERIT) whose
   owner process is SIGKILLed while another process waits in
   pthread_mutex_lock: is the waiter woken with EOWNERDEAD (man 3
   pthread_mutexattr_setrobust), or still blocked after 3 s?
     bazel build //containers/probes:robust_mutex_owner_death
     runsc --network=none do bazel-bin/containers/probes/robust_mutex_owner_death */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
int main(int argc,char**argv){ setvbuf(stdout,0,_IONBF,0);
  for(int pi=0;pi<2;pi++){
  pthread_mutex_t*m=mmap(0,4096,PROT_READ|PROT_WRITE,MAP_SHARED|MAP_ANONYMOUS,-1,0);
  pthread_mutexattr_t a; pthread_mutexattr_init(&a); pthread_mutexattr_setpshared(&a,1); pthread_mutexattr_setrobust(&a,PTHREAD_MUTEX_ROBUST);
  if(pi) pthread_mutexattr_setprotocol(&a,PTHREAD_PRIO_INHERIT);
  pthread_mutex_init(m,&a);
  pid_t h=fork(); if(h==0){ pthread_mutex_lock(m); pause(); _exit(0);} 
  usleep(200000);
  pid_t w=fork(); if(w==0){ alarm(3); int r=pthread_mutex_lock(m); _exit(r==EOWNERDEAD?0:1);} 
  usleep(300000); kill(h,SIGKILL); waitpid(h,0,0);
  int st; waitpid(w,&st,0);
  printf("%s robust mutex, waiter blocked when owner killed: %s\n", pi?"PI":"non-PI", WIFEXITED(st)&&WEXITSTATUS(st)==0?"EOWNERDEAD":WIFSIGNALED(st)?"still blocked after 3 s (SIGALRM)":"other");
  }
  return 0; }
